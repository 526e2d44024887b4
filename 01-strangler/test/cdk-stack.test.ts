import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  applyCourseNagChecks,
  CLOUDFRONT_ORIGIN_FACING_WEIGHT,
  SECURITY_GROUP_INBOUND_RULES_QUOTA,
} from '@course/constructs';
import { nagFindings } from '@course/constructs/testing';
import { type Route, type RouteTable, withCanaryShare } from '@course/facade/route-table';
import { monolithAppAsset } from '@course/monolith/cdk';
import { App, type StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { slotsAppAsset } from '../cdk/app-bundle.ts';
import { slotsVariables } from '../cdk/runtime/environment.ts';
import { StranglerStack, type StranglerTarget } from '../cdk/strangler-stack.ts';
import routes from '../routes.ts';
import { loadConfig } from '../src/slots/config.ts';

const stageDir = fileURLToPath(new URL('..', import.meta.url));

/** cdk.json's context (its feature flags), as `cdk deploy` applies it, minus slow bundling. */
function deployContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(stageDir, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
}

/** The stack `pnpm cdk deploy` deploys, with a route table of the test's choice. */
function synthStrangler(
  table: RouteTable<StranglerTarget> = routes,
  stackProps: StackProps = {},
): StranglerStack {
  const app = new App({ context: deployContext() });
  const stack = new StranglerStack(app, 'CourseStrangler', {
    ...stackProps,
    routes: table,
    monolithAsset: monolithAppAsset,
    slotsAsset: slotsAppAsset,
  });
  applyCourseNagChecks(app);
  return stack;
}

let stack: StranglerStack;
let template: Template;

// Synthesizing takes a second or two, several on a busy machine: more than vitest's defaults.
const SYNTH_TIMEOUT = 60_000;

beforeAll(() => {
  stack = synthStrangler();
  template = Template.fromStack(stack);
}, SYNTH_TIMEOUT);

/** A resource of the synthesized template; each helper below reads the properties it needs. */
interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  DeletionPolicy?: string;
}
type Ref = { Ref: string };
type GetAtt = { 'Fn::GetAtt': [string, string] };
interface ListenerAction {
  Type: string;
  TargetGroupArn?: Ref;
  ForwardConfig?: { TargetGroups: Array<{ TargetGroupArn: Ref; Weight: number }> };
  FixedResponseConfig?: { StatusCode: string; ContentType: string; MessageBody: string };
}
interface ListenerRule {
  Priority: number;
  Conditions: Array<{ PathPatternConfig: { Values: string[] } }>;
  Actions: ListenerAction[];
}

function resources(from: Template, type: string): Array<[string, Resource]> {
  return Object.entries(from.findResources(type)) as Array<[string, Resource]>;
}

/** The one resource of `type` whose logical id starts with `prefix`. */
function resourceNamed(from: Template, type: string, prefix: string): [string, Resource] {
  const found = resources(from, type).filter(([id]) => id.startsWith(prefix));
  expect(found, `${type} ${prefix}*`).toHaveLength(1);
  return found[0] as [string, Resource];
}

/** Which target a target group serves, from its logical id (MonolithApp…, SlotsApp…). */
function targetOfGroup(logicalId: string): StranglerTarget {
  if (logicalId.startsWith('MonolithApp')) return 'monolith';
  if (logicalId.startsWith('SlotsApp')) return 'slots';
  throw new Error(`unknown target group ${logicalId}`);
}

/** What the ALB does with a route, in the route table's own terms. */
function describedAction(action: ListenerAction | undefined): unknown {
  if (action?.FixedResponseConfig !== undefined) {
    const { StatusCode, ContentType, MessageBody } = action.FixedResponseConfig;
    return { fixed: Number(StatusCode), contentType: ContentType, body: JSON.parse(MessageBody) };
  }
  if (action?.TargetGroupArn !== undefined) {
    return { forward: targetOfGroup(action.TargetGroupArn.Ref) };
  }
  const groups = action?.ForwardConfig?.TargetGroups ?? [];
  return {
    weights: Object.fromEntries(
      groups.map((group) => [targetOfGroup(group.TargetGroupArn.Ref), group.Weight]),
    ),
  };
}

/** What the table says the ALB must do with a route (the spec, derived from the table). */
function expectedAction(route: Route<StranglerTarget>): unknown {
  if (route.frozen) {
    return {
      fixed: 503,
      contentType: 'application/json',
      body: {
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        detail: expect.any(String),
      },
    };
  }
  if (route.canary === undefined) return { forward: route.target };
  return {
    weights: {
      [route.target]: 100 - route.canary.share,
      [route.canary.target]: route.canary.share,
    },
  };
}

/** The listener rules in priority order, and the default action, as the table would say them. */
function routingOf(from: Template) {
  const rules = resources(from, 'AWS::ElasticLoadBalancingV2::ListenerRule')
    .map(([, rule]) => rule.Properties as unknown as ListenerRule)
    .sort((a, b) => a.Priority - b.Priority)
    .map((rule) => ({
      priority: rule.Priority,
      paths: rule.Conditions[0]?.PathPatternConfig.Values,
      action: describedAction(rule.Actions[0]),
    }));
  const [, listener] = resourceNamed(from, 'AWS::ElasticLoadBalancingV2::Listener', '');
  const defaults = listener.Properties.DefaultActions as ListenerAction[];
  return { rules, defaultAction: describedAction(defaults[0]) };
}

function expectedRouting(table: RouteTable<StranglerTarget>) {
  const catchAll = table.routes.find((route) => route.paths.join() === '/*');
  return {
    rules: table.routes
      .filter((route) => route !== catchAll)
      .map((route, index) => ({
        priority: index + 1,
        paths: [...route.paths],
        action: expectedAction(route),
      })),
    defaultAction: catchAll === undefined ? expect.anything() : expectedAction(catchAll),
  };
}

/** A boot script with every CloudFormation reference written as ${LogicalId} or ${Id.Attr}. */
function bootScriptOf(from: Template, prefix: 'MonolithApp' | 'SlotsApp'): string {
  const [, launchTemplate] = resourceNamed(from, 'AWS::EC2::LaunchTemplate', prefix);
  const data = launchTemplate.Properties.LaunchTemplateData as {
    UserData: { 'Fn::Base64': { 'Fn::Join': [string, Array<string | Partial<Ref & GetAtt>>] } };
  };
  return data.UserData['Fn::Base64']['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      return `\${${part.Ref ?? part['Fn::GetAtt']?.join('.') ?? 'token'}}`;
    })
    .join('');
}

/** The plain environment of the systemd unit in a boot script. */
function unitEnvironment(bootScript: string): Record<string, string> {
  return Object.fromEntries(
    [...bootScript.matchAll(/^Environment="(\w+)=(.*)"$/gm)].map((m) => [m[1], m[2]]),
  );
}

/** The security groups allowed to reach a database on 5432, by logical id. */
function databaseClients(from: Template, databasePrefix: string): string[] {
  const [, instance] = resourceNamed(from, 'AWS::RDS::DBInstance', databasePrefix);
  const [databaseGroup] =
    (instance.Properties.VPCSecurityGroups as GetAtt[])[0]?.['Fn::GetAtt'] ?? [];
  return resources(from, 'AWS::EC2::SecurityGroupIngress')
    .map(
      ([, rule]) => rule.Properties as { GroupId: Partial<GetAtt>; SourceSecurityGroupId: GetAtt },
    )
    .filter((rule) => rule.GroupId['Fn::GetAtt']?.[0] === databaseGroup)
    .map((rule) => {
      expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432 });
      return rule.SourceSecurityGroupId['Fn::GetAtt'][0];
    })
    .sort();
}

function hostSecurityGroup(from: Template, prefix: 'MonolithApp' | 'SlotsApp'): string {
  return resourceNamed(from, 'AWS::EC2::SecurityGroup', `${prefix}SecurityGroup`)[0];
}

describe('StranglerStack', { timeout: SYNTH_TIMEOUT }, () => {
  it('has no NAT gateway, and one Lambda function: the prefix-list lookup', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('Custom::AWS', 1);
  });

  it('has one internal load balancer on port 80, one target group per target', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    const [, loadBalancer] = resourceNamed(
      template,
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'LoadBalancer',
    );
    expect(loadBalancer.Properties.Scheme).toBe('internal');
    expect(JSON.stringify(loadBalancer.Properties.Subnets)).toMatch(/isolated/);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80 });
    const groups = resources(template, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(groups.map(([id]) => targetOfGroup(id)).sort()).toEqual([...routes.targets].sort());
    for (const [, group] of groups) expect(group.Properties.HealthCheckPath).toBe('/readyz');
  });

  it('routes as routes.ts says: priorities, path patterns and canary weights', () => {
    expect(routingOf(template)).toEqual(expectedRouting(routes));
  });

  it('routes as the table says with the slots share at 0, keeping slots at weight 0', () => {
    const atZero = withCanaryShare(routes, 'slots', 0);

    const routing = routingOf(Template.fromStack(synthStrangler(atZero)));

    expect(routing).toEqual(expectedRouting(atZero));
    expect(
      routing.rules.filter((rule) => JSON.stringify(rule.action).includes('"slots":0')),
    ).toHaveLength(routes.routes.filter((route) => route.canary?.target === 'slots').length);
  });

  it('answers a frozen route (the write freeze) with a fixed 503 problem', () => {
    const frozen: RouteTable<StranglerTarget> = {
      ...routes,
      routes: routes.routes.map((route) => (route.canary ? { ...route, frozen: true } : route)),
    };

    const routing = routingOf(Template.fromStack(synthStrangler(frozen)));

    expect(routing).toEqual(expectedRouting(frozen));
    expect(routing.rules.some((rule) => JSON.stringify(rule.action).includes('"fixed":503'))).toBe(
      true,
    );
  });

  it('refuses to synthesize half of the players on each wallet owner', () => {
    const split = withCanaryShare(routes, 'slots', 50);

    const refusal = refusalOf(() => synthStrangler(split));

    expect(refusal).toMatch(/pins a browser .*not a player/s);
    expect(refusal).toMatch(/wallet has exactly one owner/);
    expect(refusal).toMatch(/from 0 to 100.*handoff/s);
  });

  it('creates or changes a rule to the slots service only once the slots host is ready', () => {
    const [slotsGroup] = resourceNamed(template, 'AWS::AutoScaling::AutoScalingGroup', 'SlotsApp');
    const [slotsTargets] = resourceNamed(
      template,
      'AWS::ElasticLoadBalancingV2::TargetGroup',
      'SlotsApp',
    );
    const toSlots = resources(template, 'AWS::ElasticLoadBalancingV2::ListenerRule').filter(
      ([, rule]) => JSON.stringify(rule.Properties.Actions).includes(`"${slotsTargets}"`),
    );

    expect(toSlots.length).toBeGreaterThan(0);
    for (const [, rule] of toSlots) expect(rule.DependsOn).toContain(slotsGroup);
  });

  it('lets only the slots host reach the slots database', () => {
    expect(databaseClients(template, 'SlotsDatabase')).toEqual([
      hostSecurityGroup(template, 'SlotsApp'),
    ]);
    expect(databaseClients(template, 'SlotsDatabase')).not.toContain(
      hostSecurityGroup(template, 'MonolithApp'),
    );
  });

  it('lets the monolith host reach its database, and the slots host for the handoff', () => {
    expect(databaseClients(template, 'MonolithDatabase')).toEqual(
      [hostSecurityGroup(template, 'MonolithApp'), hostSecurityGroup(template, 'SlotsApp')].sort(),
    );
  });

  it('keeps both databases private, encrypted and on db.t4g.micro', () => {
    const instances = resources(template, 'AWS::RDS::DBInstance');

    expect(instances).toHaveLength(2);
    for (const [, instance] of instances) {
      expect(instance.Properties).toMatchObject({
        PubliclyAccessible: false,
        StorageEncrypted: true,
        DBInstanceClass: 'db.t4g.micro',
      });
    }
  });

  it('runs the monolith as stage 00 does, saying stage 01', () => {
    const boot = bootScriptOf(template, 'MonolithApp');

    expect(unitEnvironment(boot)).toMatchObject({ STAGE: '01', NODE_ENV: 'production' });
    expect(boot).toContain(
      'ExecStartPre=/opt/course-monolith/node/bin/node /opt/course-monolith/migrate.mjs',
    );
    expect(boot).toContain(
      'ExecStart=/opt/course-monolith/node/bin/node /opt/course-monolith/server.mjs',
    );
  });

  it('configures the slots service to verify tokens with the keys the monolith publishes', () => {
    const [loadBalancer] = resourceNamed(
      template,
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'LoadBalancer',
    );

    const environment = unitEnvironment(bootScriptOf(template, 'SlotsApp'));

    expect(environment).toEqual({
      NODE_ENV: 'production',
      STAGE: '01',
      // CloudFront and the load balancer: two proxies append to X-Forwarded-For.
      TRUST_PROXY: '2',
      TOKEN_ISSUER: 'monolith',
      JWKS_URL: `http://\${${loadBalancer}.DNSName}/.well-known/jwks.json`,
      PORT: '3000',
      HOST: '0.0.0.0',
    });
  });

  it('gives the slots host an environment its service and the wallet CLI accept', () => {
    const boot = bootScriptOf(template, 'SlotsApp');
    const plain = unitEnvironment(boot);
    const secretFiles = [...boot.matchAll(/\/run\/course-slots-secrets\/([\w-]+)\.json/g)].map(
      (m) => m[1] as string,
    );
    const secretsDir = mkdtempSync(join(tmpdir(), 'slots-secrets-'));
    for (const [index, name] of secretFiles.entries()) {
      const secret = {
        username: name,
        password: 'pw',
        host: `db${index}.example`,
        port: 5432,
        dbname: name,
      };
      writeFileSync(join(secretsDir, `${name}.json`), JSON.stringify(secret));
    }

    const secret = slotsVariables(secretsDir, '/opt/course-slots/rds-ca.pem');
    rmSync(secretsDir, { recursive: true });
    const config = loadConfig({
      ...plain,
      JWKS_URL: plain.JWKS_URL?.replace(/\$\{[^}]+\}/, 'alb-123.us-east-1.elb.amazonaws.com'),
      ...secret,
    });

    expect(secretFiles.sort()).toEqual(['database', 'monolith-database']);
    expect(config).toMatchObject({ STAGE: '01', PORT: 3000, HOST: '0.0.0.0' });
    expect(new URL(secret.DATABASE_URL ?? '').pathname).toBe('/database');
    expect(new URL(secret.MONOLITH_DATABASE_URL ?? '').pathname).toBe('/monolith-database');
  });

  it('fetches the secrets at boot by ARN and never writes a secret value into the template', () => {
    const everything = JSON.stringify(template.toJSON());

    for (const prefix of ['MonolithApp', 'SlotsApp'] as const) {
      const boot = bootScriptOf(template, prefix);
      expect(boot).toContain('aws secretsmanager get-secret-value');
      expect(boot).not.toContain('resolve:secretsmanager');
      expect(boot).not.toMatch(/DATABASE_URL|JWT_PRIVATE_JWK|password/i);
    }
    expect(everything).not.toMatch(/"Environment":\s*\{\s*"Variables"/);
  });

  it('runs the monolith behind the same two proxies, trusting two hops too', () => {
    expect(unitEnvironment(bootScriptOf(template, 'MonolithApp')).TRUST_PROXY).toBe('2');
  });

  it("keeps the load balancer's inbound rules within the quota, CloudFront's prefix list weighing 55", () => {
    const [, loadBalancer] = resourceNamed(
      template,
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'LoadBalancer',
    );
    const [group] = (loadBalancer.Properties.SecurityGroups as GetAtt[])[0]?.['Fn::GetAtt'] ?? [];
    const [, securityGroup] = resourceNamed(template, 'AWS::EC2::SecurityGroup', group ?? '');
    const rules: object[] = [
      ...((securityGroup.Properties.SecurityGroupIngress as object[] | undefined) ?? []),
      ...resources(template, 'AWS::EC2::SecurityGroupIngress')
        .map(([, rule]) => rule.Properties)
        .filter((rule) => (rule.GroupId as GetAtt)['Fn::GetAtt'][0] === group),
    ];

    // A rule admitting a managed prefix list counts as the list's weight, not as one rule.
    const weight = rules
      .map((rule) => ('SourcePrefixListId' in rule ? CLOUDFRONT_ORIGIN_FACING_WEIGHT : 1))
      .reduce((sum, each) => sum + each, 0);

    expect(weight).toBeGreaterThanOrEqual(CLOUDFRONT_ORIGIN_FACING_WEIGHT);
    expect(weight).toBeLessThanOrEqual(SECURITY_GROUP_INBOUND_RULES_QUOTA);
  });

  it('admits CloudFront (by its prefix list) and the slots host to the load balancer, on 80', () => {
    const [, loadBalancer] = resourceNamed(
      template,
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'LoadBalancer',
    );
    const [group] = (loadBalancer.Properties.SecurityGroups as GetAtt[])[0]?.['Fn::GetAtt'] ?? [];
    const [lookup] = resourceNamed(template, 'Custom::AWS', 'CloudFrontOriginFacingPrefixList');
    const [, securityGroup] = resourceNamed(template, 'AWS::EC2::SecurityGroup', group ?? '');

    const rules = resources(template, 'AWS::EC2::SecurityGroupIngress')
      .map(([, rule]) => rule.Properties)
      .filter((rule) => (rule.GroupId as GetAtt)['Fn::GetAtt'][0] === group)
      .map(({ GroupId: _group, Description: _description, ...rule }) => rule);

    expect(securityGroup.Properties.SecurityGroupIngress).toBeUndefined();
    expect(rules).toEqual(
      expect.arrayContaining([
        {
          IpProtocol: 'tcp',
          FromPort: 80,
          ToPort: 80,
          SourcePrefixListId: { 'Fn::GetAtt': [lookup, 'PrefixLists.0.PrefixListId'] },
        },
        {
          IpProtocol: 'tcp',
          FromPort: 80,
          ToPort: 80,
          SourceSecurityGroupId: {
            'Fn::GetAtt': [hostSecurityGroup(template, 'SlotsApp'), 'GroupId'],
          },
        },
      ]),
    );
    expect(rules).toHaveLength(2);
  });

  it('serves every path through CloudFront from the load balancer, a VPC origin', () => {
    const [, distribution] = resourceNamed(template, 'AWS::CloudFront::Distribution', 'Web');
    const [vpcOrigin, origin] = resourceNamed(template, 'AWS::CloudFront::VpcOrigin', 'Web');
    const [loadBalancer] = resourceNamed(
      template,
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'LoadBalancer',
    );
    const config = distribution.Properties.DistributionConfig as {
      DefaultCacheBehavior: Record<string, unknown>;
      CacheBehaviors?: unknown[];
      Origins: Array<{ Id: string; VpcOriginConfig?: { VpcOriginId: GetAtt } }>;
    };

    expect(config.Origins).toHaveLength(1);
    expect(config.Origins[0]?.VpcOriginConfig?.VpcOriginId['Fn::GetAtt'][0]).toBe(vpcOrigin);
    expect(config.CacheBehaviors).toBeUndefined();
    expect(config.DefaultCacheBehavior).toMatchObject({
      TargetOriginId: config.Origins[0]?.Id,
      ViewerProtocolPolicy: 'redirect-to-https',
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
    });
    expect(origin.Properties.VpcOriginEndpointConfig).toMatchObject({
      Arn: { Ref: loadBalancer },
      HTTPPort: 80,
      OriginProtocolPolicy: 'http-only',
    });
  });

  it('outputs the HTTPS URL of the CloudFront distribution as the Url', () => {
    const [distribution] = resourceNamed(template, 'AWS::CloudFront::Distribution', 'Web');

    template.hasOutput('Url', {
      Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }]] },
    });
  });

  it('gives every log group a retention of one week and deletes it with the stack', () => {
    const groups = resources(template, 'AWS::Logs::LogGroup');

    expect(groups.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'CloudFrontOriginFacingPrefixListLogs',
      'MonolithAppLogs',
      'NetworkFlowLogs',
      'SlotsAppLogs',
    ]);
    for (const [id, group] of groups) {
      expect(group.DeletionPolicy, id).toBe('Delete');
      expect(group.Properties.RetentionInDays, id).toBe(7);
    }
  });

  it('has no unsuppressed cdk-nag AwsSolutions finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  it('has none either in a concrete environment with partition literals (a recommended flag)', () => {
    const deployed = synthStrangler(routes, {
      env: { account: '111122223333', region: 'eu-west-1' },
    });

    expect(nagFindings(deployed)).toEqual([]);
  });
});

/** The message of the error `synth` throws (the test fails if it throws none). */
function refusalOf(synth: () => unknown): string {
  try {
    synth();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the synthesis to be refused');
}
