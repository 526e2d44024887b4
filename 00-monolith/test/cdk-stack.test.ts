import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  applyCourseNagChecks,
  CLOUDFRONT_ORIGIN_FACING_WEIGHT,
  SECURITY_GROUP_INBOUND_RULES_QUOTA,
} from '@course/constructs';
import { nagFindings } from '@course/constructs/testing';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { monolithAppAsset } from '../cdk/app-bundle.ts';
import { MonolithStack } from '../cdk/monolith-stack.ts';
import { monolithDir } from './support.ts';

// The same stack `pnpm cdk deploy` deploys, minus the slow bundling (app-bundle.test.ts covers it).
let stack: MonolithStack;
let template: Template;

/** cdk.json's context (its feature flags), as `cdk deploy` applies it, minus slow bundling. */
function deployContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(monolithDir, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] };
}

// Synthesizing (the stack, CloudFront, the lookup's custom resource, cdk-nag) takes a few seconds,
// more on a busy machine: more than vitest's default 10 s for a hook.
const SYNTH_TIMEOUT = 60_000;

beforeAll(() => {
  const app = new App({ context: deployContext() });
  stack = new MonolithStack(app, 'CourseMonolith', { appAsset: monolithAppAsset });
  applyCourseNagChecks(app);
  template = Template.fromStack(stack);
}, SYNTH_TIMEOUT);

function resourcesOf(type: string) {
  return Object.values(template.findResources(type));
}

function userData(): string {
  const [launchTemplate] = resourcesOf('AWS::EC2::LaunchTemplate');
  return JSON.stringify(launchTemplate?.Properties.LaunchTemplateData);
}

describe('MonolithStack', { timeout: SYNTH_TIMEOUT }, () => {
  it('runs one Lambda function, the prefix-list lookup, logging to a group deleted with it', () => {
    const [fn] = resourcesOf('AWS::Lambda::Function');
    const logGroups = template.findResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });

    // Its implicit log group would outlive `cdk destroy`: it logs to one of the stack's own.
    template.resourceCountIs('AWS::Lambda::Function', 1);
    expect(Object.keys(logGroups)).toContain(fn?.Properties.LoggingConfig.LogGroup.Ref);
  });

  it('has no NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  it('keeps the database private, encrypted and in the isolated subnets', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      PubliclyAccessible: false,
      StorageEncrypted: true,
      DBInstanceClass: 'db.t4g.micro',
    });
    const [subnetGroup] = resourcesOf('AWS::RDS::DBSubnetGroup');
    const subnets = JSON.stringify(subnetGroup?.Properties.SubnetIds);
    expect(subnets).toMatch(/isolated/i);
    expect(subnets).not.toMatch(/public/i);
  });

  it('admits PostgreSQL traffic only from the app security group, on 5432', () => {
    const [dbInstance] = resourcesOf('AWS::RDS::DBInstance');
    const dbSecurityGroup = dbInstance?.Properties.VPCSecurityGroups[0]['Fn::GetAtt'][0];
    const toDatabase = resourcesOf('AWS::EC2::SecurityGroupIngress').filter(
      (rule) => rule.Properties.GroupId['Fn::GetAtt']?.[0] === dbSecurityGroup,
    );

    expect(toDatabase).toHaveLength(1);
    expect(toDatabase[0]?.Properties).toMatchObject({
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      SourceSecurityGroupId: {
        'Fn::GetAtt': [expect.stringMatching(/^AppSecurityGroup/), 'GroupId'],
      },
    });
    const [databaseGroup] = Object.entries(
      template.findResources('AWS::EC2::SecurityGroup'),
    ).filter(([id]) => id === dbSecurityGroup);
    expect(databaseGroup?.[1].Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('puts no secret value in user data or environment variables', () => {
    const boot = userData();
    const everything = JSON.stringify(template.toJSON());

    // A dynamic reference would be resolved into the user data at deploy time.
    expect(boot).not.toContain('resolve:secretsmanager');
    expect(boot).not.toMatch(/password/i);
    expect(boot).not.toMatch(/DATABASE_URL|JWT_PRIVATE_JWK/);
    expect(everything).not.toMatch(/"Environment":\s*\{\s*"Variables"/);
    // The secrets are fetched at boot by ARN instead.
    expect(boot).toContain('aws secretsmanager get-secret-value');
  });

  it('routes by /readyz but never replaces instances because the database is down', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/readyz',
      Port: 3000,
    });
    const [group] = resourcesOf('AWS::AutoScaling::AutoScalingGroup');
    expect([undefined, 'EC2']).toContain(group?.Properties.HealthCheckType);
  });

  it('retires the old instance in a deploy only after the new one answers /readyz', () => {
    const [group] = resourcesOf('AWS::AutoScaling::AutoScalingGroup');
    const boot = userData();

    expect(group?.CreationPolicy?.ResourceSignal).toMatchObject({ Count: 1 });
    expect(group?.UpdatePolicy?.AutoScalingRollingUpdate).toMatchObject({
      MinInstancesInService: 1,
      WaitOnResourceSignals: true,
    });
    const readinessWait = boot.indexOf(
      'until curl -fsS --max-time 5 -o /dev/null http://127.0.0.1:3000/readyz',
    );
    expect(readinessWait).toBeGreaterThan(boot.indexOf('systemctl enable --now course-monolith'));
    expect(boot).toMatch(/trap exitTrap EXIT/);
    expect(boot).toMatch(/\/opt\/aws\/bin\/cfn-signal .*-e \$exitCode/);
  });

  it('requires IMDSv2 and encrypts the EBS root volume', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: Match.objectLike({ HttpTokens: 'required' }),
        BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
      }),
    });
  });

  it('runs migrations before the server, both from the bundle', () => {
    const boot = userData();

    expect(boot).toContain(
      'ExecStartPre=/opt/course-monolith/node/bin/node /opt/course-monolith/migrate.mjs',
    );
    expect(boot).toContain(
      'ExecStart=/opt/course-monolith/node/bin/node /opt/course-monolith/server.mjs',
    );
  });

  it('outputs the HTTPS URL of the CloudFront distribution as the Url', () => {
    const [distribution] = Object.keys(template.findResources('AWS::CloudFront::Distribution'));

    template.hasOutput('Url', {
      Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }]] },
    });
  });

  it('serves every path from the load balancer through CloudFront, over HTTPS, uncached', () => {
    const [distribution] = resourcesOf('AWS::CloudFront::Distribution');
    const [vpcOriginId, vpcOrigin] = Object.entries(
      template.findResources('AWS::CloudFront::VpcOrigin'),
    )[0] ?? [undefined, undefined];
    const [loadBalancerId] = Object.keys(
      template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'),
    );
    const config = distribution?.Properties.DistributionConfig;

    expect(config.Origins).toEqual([
      expect.objectContaining({
        VpcOriginConfig: { VpcOriginId: { 'Fn::GetAtt': [vpcOriginId, 'Id'] } },
      }),
    ]);
    expect(config.CacheBehaviors).toBeUndefined();
    expect(config.DefaultCacheBehavior).toMatchObject({
      TargetOriginId: config.Origins[0].Id,
      ViewerProtocolPolicy: 'redirect-to-https',
      // The managed CachingDisabled and AllViewerExceptHostHeader policies: the Authorization
      // header, cookies and query strings reach the app, and no answer is cached.
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
      AllowedMethods: expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
    });
    expect(vpcOrigin?.Properties.VpcOriginEndpointConfig).toMatchObject({
      Arn: { Ref: loadBalancerId },
      HTTPPort: 80,
      OriginProtocolPolicy: 'http-only',
    });
    template.resourceCountIs('AWS::S3::Bucket', 0);
  });

  it('keeps the load balancer internal and admits only CloudFront, by its prefix list, on 80', () => {
    const [loadBalancer] = resourcesOf('AWS::ElasticLoadBalancingV2::LoadBalancer');
    const [group] = loadBalancer?.Properties.SecurityGroups[0]['Fn::GetAtt'] ?? [];
    const [lookup] = Object.keys(template.findResources('Custom::AWS'));
    const inline =
      template.findResources('AWS::EC2::SecurityGroup')[group]?.Properties.SecurityGroupIngress;
    const toLoadBalancer = resourcesOf('AWS::EC2::SecurityGroupIngress').filter(
      (rule) => rule.Properties.GroupId['Fn::GetAtt']?.[0] === group,
    );

    expect(loadBalancer?.Properties.Scheme).toBe('internal');
    expect(JSON.stringify(loadBalancer?.Properties.Subnets)).toMatch(/isolated/i);
    expect(inline).toBeUndefined();
    expect(toLoadBalancer.map((rule) => rule.Properties)).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 80,
        ToPort: 80,
        SourcePrefixListId: { 'Fn::GetAtt': [lookup, 'PrefixLists.0.PrefixListId'] },
      }),
    ]);
    expect(
      JSON.parse(template.findResources('Custom::AWS')[lookup ?? '']?.Properties.Create),
    ).toMatchObject({
      action: 'DescribeManagedPrefixLists',
      parameters: {
        Filters: [
          { Name: 'prefix-list-name', Values: ['com.amazonaws.global.cloudfront.origin-facing'] },
        ],
      },
    });
  });

  it("keeps the load balancer's inbound rules within the quota, CloudFront's prefix list weighing 55", () => {
    const [loadBalancer] = resourcesOf('AWS::ElasticLoadBalancingV2::LoadBalancer');
    const [group] = loadBalancer?.Properties.SecurityGroups[0]['Fn::GetAtt'] ?? [];
    const rules: object[] = [
      ...(template.findResources('AWS::EC2::SecurityGroup')[group]?.Properties
        .SecurityGroupIngress ?? []),
      ...resourcesOf('AWS::EC2::SecurityGroupIngress')
        .filter((rule) => rule.Properties.GroupId['Fn::GetAtt']?.[0] === group)
        .map((rule) => rule.Properties),
    ];

    // A rule admitting a managed prefix list counts as the list's weight, not as one rule.
    const weight = rules
      .map((rule) => ('SourcePrefixListId' in rule ? CLOUDFRONT_ORIGIN_FACING_WEIGHT : 1))
      .reduce((sum, each) => sum + each, 0);

    expect(weight).toBeGreaterThanOrEqual(CLOUDFRONT_ORIGIN_FACING_WEIGHT);
    expect(weight).toBeLessThanOrEqual(SECURITY_GROUP_INBOUND_RULES_QUOTA);
  });

  it('trusts exactly two proxies for the client address: CloudFront and the load balancer', () => {
    expect(userData()).toContain('Environment=\\"TRUST_PROXY=2\\"');
  });

  it('gives every log group a retention', () => {
    const groups = resourcesOf('AWS::Logs::LogGroup');

    expect(groups.length).toBeGreaterThan(0);
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(7);
  });

  it('deletes on destroy only the resources whose code says why', () => {
    const deleted = Object.entries(
      template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>,
    )
      .filter(([, resource]) => resource.DeletionPolicy === 'Delete')
      .map(([id, resource]) => `${resource.Type} ${id.replace(/[0-9A-F]{8,}.*$/, '')}`)
      .sort();

    expect(deleted).toEqual([
      'AWS::Logs::LogGroup AppLogs',
      'AWS::Logs::LogGroup CloudFrontOriginFacingPrefixListLogs',
      'AWS::Logs::LogGroup NetworkFlowLogs',
      'AWS::RDS::DBInstance DatabaseInstance',
      // The generated credentials follow their database.
      'AWS::SecretsManager::Secret CourseMonolithDatabaseInstanceSecret',
      'AWS::SecretsManager::Secret JwtSigningSeed',
      // The prefix-list lookup: deleting it calls nothing (it has no onDelete call).
      'Custom::AWS CloudFrontOriginFacingPrefixList',
    ]);
    for (const { file, line } of destroyPolicies()) {
      expect(line, `${file}: RemovalPolicy.DESTROY needs a "DESTROY:" comment`).toMatch(/DESTROY/);
    }
  });

  it('has no unsuppressed cdk-nag AwsSolutions finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  it('has none either in a concrete environment with partition literals (a recommended flag)', () => {
    // There the partition token becomes the string "aws", so a suppression written against the
    // token alone would stop matching the day a learner turns on CDK's recommended flags.
    const app = new App({
      context: { ...deployContext(), '@aws-cdk/core:enablePartitionLiterals': true },
    });
    const deployed = new MonolithStack(app, 'CourseMonolith', {
      appAsset: monolithAppAsset,
      env: { account: '111122223333', region: 'eu-west-1' },
    });
    applyCourseNagChecks(app);

    expect(nagFindings(deployed)).toEqual([]);
  });
});

/** Every `RemovalPolicy.DESTROY` in the CDK code, with the comment lines just above it. */
function destroyPolicies(): Array<{ file: string; line: string }> {
  const roots = [
    fileURLToPath(new URL('../cdk', import.meta.url)),
    fileURLToPath(new URL('../node_modules/@course/constructs/src', import.meta.url)),
  ];
  const found: Array<{ file: string; line: string }> = [];
  for (const root of roots) {
    for (const name of readdirSync(root).filter((file) => file.endsWith('.ts'))) {
      const lines = readFileSync(join(root, name), 'utf8').split('\n');
      lines.forEach((text, index) => {
        if (!text.includes('RemovalPolicy.DESTROY')) return;
        const above = lines
          .slice(Math.max(0, index - 4), index)
          .filter((l) => l.trim().startsWith('//'));
        found.push({ file: name, line: above.join(' ') });
      });
    }
  }
  expect(found.length).toBeGreaterThanOrEqual(4);
  return found;
}
