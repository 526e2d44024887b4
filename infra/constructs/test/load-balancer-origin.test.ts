import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { describe, expect, it } from 'vitest';
import {
  applyCourseNagChecks,
  CLOUDFRONT_ORIGIN_FACING,
  CourseVpc,
  LoadBalancerOrigin,
  suppressLoadBalancerFindings,
  WebDistribution,
} from '../src/index.ts';

/** A stack with `count` internal load balancers, each a VPC origin of its own distribution. */
function originStack(count = 1, httpPort?: number): Stack {
  const app = new App();
  const stack = new Stack(app, 'Test');
  const { vpc } = new CourseVpc(stack, 'Network');
  for (let index = 0; index < count; index += 1) {
    const loadBalancer = new elbv2.ApplicationLoadBalancer(stack, `LoadBalancer${index}`, { vpc });
    suppressLoadBalancerFindings(loadBalancer);
    const { origin } = new LoadBalancerOrigin(stack, `Origin${index}`, { loadBalancer, httpPort });
    new WebDistribution(stack, `Web${index}`, { api: { origin } });
  }
  applyCourseNagChecks(app);
  return stack;
}

type GetAtt = { 'Fn::GetAtt': [string, string] };

/**
 * The inbound rules of the security group of the load balancer `LoadBalancer<index>`, inline in
 * the group or separate resources (CDK writes a rule whose peer is a token as a resource).
 */
function loadBalancerIngress(template: Template, index = 0): Array<Record<string, unknown>> {
  const [, loadBalancer] = Object.entries(
    template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'),
  ).find(([id]) => id.startsWith(`LoadBalancer${index}`)) ?? [undefined, undefined];
  const [groupId] = (loadBalancer?.Properties.SecurityGroups[0] as GetAtt | undefined)?.[
    'Fn::GetAtt'
  ] ?? [''];
  const group = template.findResources('AWS::EC2::SecurityGroup')[groupId];
  const separate = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
    .map((rule) => rule.Properties as Record<string, unknown>)
    .filter((rule) => (rule.GroupId as GetAtt)['Fn::GetAtt']?.[0] === groupId)
    .map(({ GroupId: _group, ...rule }) => rule);
  return [...(group?.Properties.SecurityGroupIngress ?? []), ...separate];
}

function lookups(template: Template): Array<[string, Record<string, unknown>]> {
  return Object.entries(template.findResources('Custom::AWS')).map(([id, resource]) => [
    id,
    resource.Properties,
  ]);
}

describe('LoadBalancerOrigin', () => {
  it("admits CloudFront's origin-facing prefix list, looked up at deploy time, on port 80 only", () => {
    const template = Template.fromStack(originStack());
    const [[lookupId, lookup]] = lookups(template) as [[string, Record<string, unknown>]];

    const ingress = loadBalancerIngress(template);

    expect(ingress).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 80,
        ToPort: 80,
        SourcePrefixListId: { 'Fn::GetAtt': [lookupId, 'PrefixLists.0.PrefixListId'] },
        Description: expect.stringMatching(/CloudFront/),
      },
    ]);
    // The custom resource's SDK call, as JSON: EC2 DescribeManagedPrefixLists by name.
    const create = JSON.parse(lookup.Create as string) as unknown;
    expect(create).toMatchObject({
      service: 'EC2',
      action: 'DescribeManagedPrefixLists',
      parameters: {
        Filters: [{ Name: 'prefix-list-name', Values: [CLOUDFRONT_ORIGIN_FACING] }],
      },
      outputPaths: ['PrefixLists.0.PrefixListId'],
    });
    expect(CLOUDFRONT_ORIGIN_FACING).toBe('com.amazonaws.global.cloudfront.origin-facing');
  });

  it('admits no address range: no CIDR rule on the load balancer', () => {
    const template = Template.fromStack(originStack());

    for (const rule of loadBalancerIngress(template)) {
      expect(rule.CidrIp).toBeUndefined();
      expect(rule.CidrIpv6).toBeUndefined();
    }
    template.resourcePropertiesCountIs(
      'AWS::EC2::SecurityGroupIngress',
      { CidrIp: Match.anyValue() },
      0,
    );
  });

  it('makes the load balancer a VPC origin over HTTP on the port it admits', () => {
    const template = Template.fromStack(originStack(1, 8080));

    template.hasResourceProperties('AWS::CloudFront::VpcOrigin', {
      VpcOriginEndpointConfig: Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^LoadBalancer0') },
        HTTPPort: 8080,
        OriginProtocolPolicy: 'http-only',
      }),
    });
    expect(loadBalancerIngress(template)).toEqual([
      expect.objectContaining({ FromPort: 8080, ToPort: 8080 }),
    ]);
  });

  it('grants the lookup only the Describe call, and logs it to a log group deleted with the stack', () => {
    const template = Template.fromStack(originStack());

    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{ Action: 'ec2:DescribeManagedPrefixLists', Effect: 'Allow', Resource: '*' }],
      },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Delete',
      Properties: { RetentionInDays: 7 },
    });
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    const [logGroup] = Object.keys(template.findResources('AWS::Logs::LogGroup')).filter((id) =>
      id.startsWith('CloudFrontOriginFacingPrefixListLogs'),
    );
    expect(fn?.Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroup } });
  });

  it('looks the prefix list up once per stack, however many load balancers admit CloudFront', () => {
    const template = Template.fromStack(originStack(2));
    const [lookupId] = lookups(template)[0] ?? [];

    expect(lookups(template)).toHaveLength(1);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    for (const index of [0, 1]) {
      expect(loadBalancerIngress(template, index)).toEqual([
        expect.objectContaining({
          SourcePrefixListId: { 'Fn::GetAtt': [lookupId, 'PrefixLists.0.PrefixListId'] },
        }),
      ]);
    }
  });

  it('refuses an internet-facing load balancer: a VPC origin must be internal', () => {
    const stack = new Stack(new App(), 'Test');
    const { vpc } = new CourseVpc(stack, 'Network');
    const loadBalancer = new elbv2.ApplicationLoadBalancer(stack, 'Public', {
      vpc,
      internetFacing: true,
    });

    expect(() => new LoadBalancerOrigin(stack, 'Origin', { loadBalancer })).toThrow(/internal/);
  });

  it('has no unsuppressed cdk-nag AwsSolutions finding', () => {
    const stack = originStack();
    const nag = Match.stringLikeRegexp('AwsSolutions-.*');

    const findings = [
      ...Annotations.fromStack(stack).findError('*', nag),
      ...Annotations.fromStack(stack).findWarning('*', nag),
    ].map((finding) => `${finding.id}: ${String(finding.entry.data)}`);

    expect(findings).toEqual([]);
  });
});
