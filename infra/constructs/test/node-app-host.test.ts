import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import {
  applyCourseNagChecks,
  CourseVpc,
  NodeAppHost,
  suppressLoadBalancerFindings,
} from '../src/index.ts';

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

/** The boot script's lines, with every CloudFormation token (ARNs, region…) shown as `<token>`. */
function bootScriptLines(template: Template): string[] {
  const [launchTemplate] = Object.values(template.findResources('AWS::EC2::LaunchTemplate'));
  const parts: unknown[] =
    launchTemplate?.Properties.LaunchTemplateData.UserData['Fn::Base64']['Fn::Join'][1];
  return parts
    .map((part) => (typeof part === 'string' ? part : '<token>'))
    .join('')
    .split('\n');
}

describe('NodeAppHost', () => {
  it('runs one to two t4g.micro Amazon Linux 2023 ARM64 instances with public IPs', () => {
    const template = Template.fromStack(hostStack());

    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '1',
      MaxSize: '2',
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
  });

  it('puts its own load balancer in the isolated subnets, internal, and opens it to nobody', () => {
    const template = Template.fromStack(hostStack());
    const [loadBalancer] = Object.values(
      template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'),
    );
    const [groupId] = loadBalancer?.Properties.SecurityGroups[0]['Fn::GetAtt'] ?? [];
    const group = template.findResources('AWS::EC2::SecurityGroup')[groupId];

    expect(loadBalancer?.Properties.Scheme).toBe('internal');
    expect(JSON.stringify(loadBalancer?.Properties.Subnets)).toMatch(/isolated/);
    expect(JSON.stringify(loadBalancer?.Properties.Subnets)).not.toMatch(/public/);
    // No inbound rule at all until someone is admitted (LoadBalancerOrigin admits CloudFront).
    expect(group?.Properties.SecurityGroupIngress).toBeUndefined();
    template.resourcePropertiesCountIs(
      'AWS::EC2::SecurityGroupIngress',
      { GroupId: { 'Fn::GetAtt': [groupId, 'GroupId'] } },
      0,
    );
  });

  it('lets /readyz steer traffic only: the group replaces instances on EC2 checks', () => {
    const template = Template.fromStack(hostStack());

    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/readyz',
    });
    const [group] = Object.values(template.findResources('AWS::AutoScaling::AutoScalingGroup'));
    // A database outage fails /readyz everywhere; with 'ELB' the group would replace every instance.
    expect([undefined, 'EC2']).toContain(group?.Properties.HealthCheckType);
  });

  it('keeps the old instance in a deploy until the new one signals it is ready', () => {
    const template = Template.fromStack(hostStack());

    template.hasResource('AWS::AutoScaling::AutoScalingGroup', {
      CreationPolicy: { ResourceSignal: { Count: 1, Timeout: 'PT15M' } },
      UpdatePolicy: Match.objectLike({
        AutoScalingRollingUpdate: Match.objectLike({
          MinInstancesInService: 1,
          WaitOnResourceSignals: true,
          PauseTime: 'PT15M',
        }),
      }),
    });
  });

  it('signals CloudFormation with the boot status, after waiting for /readyz on the instance', () => {
    const template = Template.fromStack(hostStack());
    const [groupId] = Object.keys(template.findResources('AWS::AutoScaling::AutoScalingGroup'));

    const lines = bootScriptLines(template);
    const trap = lines.indexOf('trap exitTrap EXIT');
    const signal = lines.findIndex((line) => line.startsWith('/opt/aws/bin/cfn-signal'));
    const start = lines.indexOf('systemctl enable --now demo.service');
    const wait = lines.findIndex((line) => line.includes('http://127.0.0.1:3000/readyz'));

    // The exit trap sends the script's exit status, so it must be set before anything can fail.
    expect(lines[signal]).toContain(`--resource ${groupId} `);
    expect(lines[signal]).toContain('-e $exitCode');
    expect(trap).toBeGreaterThan(signal);
    expect(trap).toBeLessThan(lines.indexOf('set -euo pipefail'));
    // The readiness wait is bounded and is the last command: its status is the boot's status.
    expect(lines[wait]).toMatch(/^timeout \d+ bash -c 'until curl -fsS /);
    expect(wait).toBeGreaterThan(start);
    expect(lines.slice(wait + 1).filter((line) => line.trim() !== '')).toEqual([]);
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

  it('on a shared load balancer, adds only a target group and admits that load balancer', () => {
    const app = new App();
    const stack = new Stack(app, 'Test');
    const { vpc } = new CourseVpc(stack, 'Network');
    const shared = new elbv2.ApplicationLoadBalancer(stack, 'Shared', { vpc });
    suppressLoadBalancerFindings(shared);
    const host = new NodeAppHost(stack, 'Host', {
      vpc,
      app: new Asset(stack, 'App', { path: fixtureApp }),
      loadBalancer: shared,
    });
    applyCourseNagChecks(app);
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 0);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/readyz',
      Port: 3000,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 3000,
      ToPort: 3000,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Shared'), 'GroupId'] },
    });
    expect(host.loadBalancer).toBe(shared);
    expect(
      Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ).toEqual([]);
  });
});
