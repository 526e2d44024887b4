import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { applyCourseNagChecks, CourseVpc, NodeAppHost } from '../src/index.ts';

const fixtureApp = fileURLToPath(new URL('./fixtures/app', import.meta.url));

function hostStack(): Stack {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const { vpc } = new CourseVpc(stack, 'Network');
  const secret = new secretsmanager.Secret(stack, 'Secret');
  new NodeAppHost(stack, 'Host', {
    vpc,
    name: 'demo',
    app: new Asset(stack, 'App', { path: fixtureApp }),
    secrets: { token: secret },
    environmentScript: 'env.mjs',
    preStartScript: 'migrate.mjs',
    environment: { GREETING: 'hello' },
  });
  applyCourseNagChecks(app);
  return stack;
}

function userDataOf(template: Template): string {
  const [launchTemplate] = Object.values(template.findResources('AWS::EC2::LaunchTemplate'));
  return JSON.stringify(launchTemplate?.Properties.LaunchTemplateData.UserData);
}

describe('NodeAppHost', () => {
  it('runs one to two t4g.micro Amazon Linux 2023 ARM64 instances with public IPs', () => {
    const template = Template.fromStack(hostStack());

    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '1',
      MaxSize: '2',
      HealthCheckType: 'ELB',
    });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 't4g.micro',
        ImageId: { Ref: Match.stringLikeRegexp('al2023.*arm64') },
        NetworkInterfaces: [Match.objectLike({ AssociatePublicIpAddress: true })],
      }),
    });
  });

  it('requires IMDSv2 and encrypts the root volume', () => {
    const template = Template.fromStack(hostStack());

    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: Match.objectLike({ HttpTokens: 'required' }),
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
      }),
    });
  });

  it('health-checks /readyz and admits only the load balancer on the app port', () => {
    const template = Template.fromStack(hostStack());

    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/readyz',
      Port: 3000,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 3000,
      ToPort: 3000,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('LoadBalancer'), 'GroupId'] },
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
    });
  });

  it('connects through SSM Session Manager, never SSH', () => {
    const template = Template.fromStack(hostStack());

    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [
        Match.objectLike({
          'Fn::Join': [
            '',
            Match.arrayWith([Match.stringLikeRegexp('AmazonSSMManagedInstanceCore')]),
          ],
        }),
      ],
    });
    const [launchTemplate] = Object.values(template.findResources('AWS::EC2::LaunchTemplate'));
    expect(launchTemplate?.Properties.LaunchTemplateData.KeyName).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toMatch(/"FromPort":22\b/);
  });

  it('writes a systemd unit that migrates first, then runs the app as its own user', () => {
    const userData = userDataOf(Template.fromStack(hostStack()));

    expect(userData).toContain('demo.service');
    expect(userData).toContain('User=demo');
    expect(userData).toContain('ExecStartPre=/opt/demo/node/bin/node /opt/demo/migrate.mjs');
    expect(userData).toContain('ExecStart=/opt/demo/node/bin/node /opt/demo/server.mjs');
    expect(userData).toContain('Environment=\\"GREETING=hello\\"');
    expect(userData).toContain('EnvironmentFile=/etc/demo/app.env');
  });

  it('fetches secrets at boot with the instance role instead of embedding them', () => {
    const template = Template.fromStack(hostStack());

    expect(userDataOf(template)).toContain('aws secretsmanager get-secret-value');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          }),
        ]),
      },
    });
  });

  it('ships app logs to a log group kept for one week', () => {
    const template = Template.fromStack(hostStack());

    expect(userDataOf(template)).toContain('amazon-cloudwatch-agent-ctl');
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBe(2);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(7);
  });

  it('refuses secrets without a script to turn them into environment variables', () => {
    const stack = new Stack(new App(), 'Test');
    const { vpc } = new CourseVpc(stack, 'Network');

    expect(
      () =>
        new NodeAppHost(stack, 'Host', {
          vpc,
          app: new Asset(stack, 'App', { path: fixtureApp }),
          secrets: { token: new secretsmanager.Secret(stack, 'Secret') },
        }),
    ).toThrow(/environmentScript/);
  });

  it('leaves no unsuppressed cdk-nag finding', () => {
    const stack = hostStack();

    const nag = Match.stringLikeRegexp('AwsSolutions-.*');
    const findings = [
      ...Annotations.fromStack(stack).findError('*', nag),
      ...Annotations.fromStack(stack).findWarning('*', nag),
    ];
    // The test's own bare secret is the only finding: it is not part of the construct.
    expect(findings.map((finding) => finding.id)).toEqual(['/Test/Secret/Resource']);
  });
});
