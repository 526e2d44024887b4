import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  nagFindings,
  resourceNamedOf,
  resourceOf,
  resourcesOf,
  statementsOfRole,
  synthWithoutDocker,
  type TemplateResource,
} from '@course/constructs/testing';
import { loadContract, operationsOfStage } from '@course/contract';
import type { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { beforeAll, describe, expect, it } from 'vitest';
import { EDGE_RATE_LIMIT } from '../cdk/edge-protection-stack.ts';
import { DATABASE_IAM_ACCESS_COMMAND } from '../cdk/images.ts';
import { LOGICAL_IDS } from '../cdk/logical-ids.ts';
import {
  LOAD_BALANCER_PATHS,
  SERVICE_PORT,
  SLOTS_API_PATHS,
  SLOTS_IAM_ROLE,
  STAGE_THROTTLE,
} from '../cdk/serverless-stack.ts';
import { addStage, type StageOptions } from '../cdk/stage-app.ts';

const stageDir = fileURLToPath(new URL('..', import.meta.url));
const SLOTS_FUNCTIONS = [
  LOGICAL_IDS.writeFunction,
  LOGICAL_IDS.readFunction,
  LOGICAL_IDS.ranksFunction,
] as const;

/** The stage as `cdk/app.ts` builds it, asset metadata on as the cdk CLI sets it. */
function synthStage(options: StageOptions = {}) {
  // Each function names its bundled asset folder in its metadata.
  return synthWithoutDocker(stageDir, (app) => addStage(app, options), {
    'aws:cdk:enable-asset-metadata': true,
  });
}

type Resource = TemplateResource;
type GetAtt = { 'Fn::GetAtt': [string, string] };

let offline: ReturnType<typeof synthStage>;
let template: Template;
let deployed: ReturnType<typeof synthStage>;

// Synthesizing bundles three functions and stages four image contexts and the web build.
const SYNTH_TIMEOUT = 180_000;

beforeAll(() => {
  offline = synthStage();
  template = Template.fromStack(offline.stack);
  deployed = synthStage({
    env: { account: '111122223333', region: 'eu-west-1' },
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  });
}, SYNTH_TIMEOUT);

let proxiedStage: { stack: Stack; template: Template } | undefined;
/** The stage with `rdsProxy` on, synthesized once for the tests that need it. */
function proxied(): { stack: Stack; template: Template } {
  if (proxiedStage === undefined) {
    const { stack } = synthStage({ rdsProxy: true });
    proxiedStage = { stack, template: Template.fromStack(stack) };
  }
  return proxiedStage;
}

function resources(type: string, from: Template = template): Array<[string, Resource]> {
  return resourcesOf(from, type);
}

function resource(logicalId: string, from: Template = template): Resource {
  return resourceOf(from, logicalId);
}

function resourceNamed(
  type: string,
  prefix: string,
  from: Template = template,
): [string, Resource] {
  return resourceNamedOf(from, type, prefix);
}

/** Ingress rules as "source -> destination:port" by logical id (or `prefix list <lookup>`). */
function ingressFlows(): string[] {
  return resources('AWS::EC2::SecurityGroupIngress')
    .map(([, rule]) => rule.Properties as Record<string, unknown>)
    .map((rule) => {
      const prefixList = rule.SourcePrefixListId as GetAtt | undefined;
      const source =
        prefixList === undefined
          ? (rule.SourceSecurityGroupId as GetAtt)['Fn::GetAtt'][0]
          : `prefix list ${prefixList['Fn::GetAtt'][0]}`;
      const destination = (rule.GroupId as GetAtt)['Fn::GetAtt'][0];
      expect(rule.FromPort).toBe(rule.ToPort);
      return `${source} -> ${destination}:${rule.FromPort}`;
    })
    .sort();
}

function statementsOf(
  roleLogicalId: string,
  from: Template = template,
): Array<Record<string, unknown>> {
  return statementsOfRole(from, roleLogicalId);
}

/** The statement that allows `rds-db:connect` to this instance (by its DbiResourceId) as `user`. */
function connectToInstanceAs(user: string): Record<string, unknown> {
  return {
    Effect: 'Allow',
    Action: 'rds-db:connect',
    Resource: {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':rds-db:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':dbuser:',
          { 'Fn::GetAtt': [LOGICAL_IDS.database, 'DbiResourceId'] },
          `/${user}`,
        ],
      ],
    },
  };
}

function roleOf(functionLogicalId: string): string {
  return (resource(functionLogicalId).Properties.Role as GetAtt)['Fn::GetAtt'][0];
}

function securityGroupOf(prefix: string): string {
  return resourceNamed('AWS::EC2::SecurityGroup', prefix)[0];
}

/** Each `/api/slots/*` operation of the contract, as an HTTP API route key: `GET /api/slots/x`. */
/** The contract's /api/slots operations that this stage serves (none marked for a later stage). */
function contractSlotsRouteKeys(): string[] {
  return operationsOfStage(loadContract(), '03')
    .filter(({ path }) => path.startsWith('/api/slots/'))
    .map(({ method, path }) => `${method.toUpperCase()} ${path}`)
    .sort();
}

describe('the slots functions', () => {
  it.each(SLOTS_FUNCTIONS)('%s runs Node.js 24 on ARM64, marked as the application’s', (id) => {
    const fn = resource(id);

    expect(fn.Type).toBe('AWS::Lambda::Function');
    expect(fn.Properties.Runtime).toBe('nodejs24.x');
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(fn.Properties.Handler).toBe('index.handler');
    expect(fn.Metadata?.['course:application-function']).toBe(true);
  });

  it('bundles each into a minified ES module with a source map that holds no sources, never in Docker', () => {
    // Arrange: synthStage ran with CDK_DOCKER pointing at no command, so a Docker bundling
    // would have failed the synth; what remains is what the local esbuild wrote.
    for (const id of SLOTS_FUNCTIONS) {
      const assetDir = join(offline.assemblyDir, String(resource(id).Metadata?.['aws:asset:path']));

      const files = readdirSync(assetDir).sort();
      const map = JSON.parse(readFileSync(join(assetDir, 'index.mjs.map'), 'utf8')) as {
        sources: string[];
        sourcesContent?: unknown[];
      };
      const code = readFileSync(join(assetDir, 'index.mjs'), 'utf8');

      expect(files).toEqual(['index.mjs', 'index.mjs.map']);
      expect(map.sources.length).toBeGreaterThan(0);
      expect(map.sourcesContent).toBeUndefined();
      // An ES module that still lets bundled CommonJS (pg) require Node's own modules.
      expect(code).toMatch(
        /^import \{ createRequire as \w+ \} from 'node:module'; const require = /,
      );
      expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
      // Minified but named: an error's type in the logs is its class's name, not `A`.
      const named = /class extends Error\{static\{\w+\(this,"HttpError"\)\}/.test(code);
      expect(named, 'HttpError keeps its name in the bundle').toBe(true);
      expect(resource(id).Properties.Environment).toMatchObject({
        Variables: { NODE_OPTIONS: '--enable-source-maps' },
      });
    }
  });

  it('gives each its environment: the IAM role, TLS with the runtime’s CA bundle, the JWKS via Cloud Map', () => {
    for (const id of SLOTS_FUNCTIONS) {
      const variables = (
        resource(id).Properties.Environment as { Variables: Record<string, unknown> }
      ).Variables;

      expect(variables).toMatchObject({
        STAGE: '03',
        TOKEN_ISSUER: 'users',
        JWKS_URL: `http://users.course.internal:${SERVICE_PORT}/.well-known/jwks.json`,
        DATABASE_HOST: { 'Fn::GetAtt': [LOGICAL_IDS.database, 'Endpoint.Address'] },
        DATABASE_PORT: { 'Fn::GetAtt': [LOGICAL_IDS.database, 'Endpoint.Port'] },
        DATABASE_NAME: 'slots',
        DATABASE_USER: SLOTS_IAM_ROLE,
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      });
      expect(variables).not.toHaveProperty('DATABASE_URL');
    }
  });

  it('keeps each function’s logs a week, in a log group deleted with the stack', () => {
    for (const id of SLOTS_FUNCTIONS) {
      const logGroup = (resource(id).Properties.LoggingConfig as { LogGroup: { Ref: string } })
        .LogGroup.Ref;

      expect(resource(logGroup).Properties.RetentionInDays).toBe(7);
    }
  });

  it('runs them in the isolated subnets, in a security group of their own', () => {
    const isolated = resources('AWS::EC2::Subnet')
      .filter(([, subnet]) => subnet.Properties.MapPublicIpOnLaunch === false)
      .map(([id]) => id)
      .sort();
    for (const id of SLOTS_FUNCTIONS) {
      const vpcConfig = resource(id).Properties.VpcConfig as {
        SubnetIds: Array<{ Ref: string }>;
        SecurityGroupIds: GetAtt[];
      };

      expect(vpcConfig.SubnetIds.map((s) => s.Ref).sort()).toEqual(isolated);
      expect(vpcConfig.SecurityGroupIds.map((g) => g['Fn::GetAtt'][0])).toEqual([
        securityGroupOf('SlotsFunctionsSecurityGroup'),
      ]);
    }
  });

  it('reserves no concurrency by default (Lambda keeps 100 of the account’s quota unreserved)', () => {
    for (const id of SLOTS_FUNCTIONS) {
      expect(resource(id).Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    }
  });

  it(
    'reserves the given concurrency per function when asked',
    () => {
      const { stack } = synthStage({ reservedConcurrency: 5 });
      const reserved = Template.fromStack(stack);

      for (const id of SLOTS_FUNCTIONS) {
        expect(resource(id, reserved).Properties.ReservedConcurrentExecutions).toBe(5);
      }
    },
    SYNTH_TIMEOUT,
  );

  it.each([0, -1, 2.5, Number.NaN])(
    'refuses a reserved concurrency of %s at synth, naming the option',
    (reservedConcurrency) => {
      expect(() => synthStage({ reservedConcurrency })).toThrow(
        /^reservedConcurrency: give a whole number of at least 1/,
      );
    },
  );
});

describe('RDS IAM authentication', () => {
  it('turns IAM authentication on for the database', () => {
    expect(resource(LOGICAL_IDS.database).Properties.EnableIAMDatabaseAuthentication).toBe(true);
  });

  it.each(SLOTS_FUNCTIONS)(
    'lets %s connect as the functions’ role only, to this instance (by its DbiResourceId)',
    (id) => {
      const connects = statementsOf(roleOf(id)).filter((s) => s.Action === 'rds-db:connect');

      expect(connects).toEqual([connectToInstanceAs(SLOTS_IAM_ROLE)]);
    },
  );

  it('gives the functions’ role its rights after slots’ migrations, and starts the functions after that', () => {
    const [, iamAccess] = resourceNamed('AWS::ECS::TaskDefinition', 'SlotsIamAccessTask');
    const [container] = iamAccess.Properties.ContainerDefinitions as Array<{
      Command: string[];
      Environment: Array<{ Name: string; Value: string }>;
    }>;
    const [provisioningRun] = resourceNamed('Custom::DeployTimeTask', 'DatabaseProvisioningRun');
    const [migrationsRun] = resourceNamed('Custom::DeployTimeTask', 'SlotsMigrationsRun');
    const [iamAccessRun] = resourceNamed('Custom::DeployTimeTask', 'SlotsIamAccessRun');

    expect(container?.Command).toEqual(DATABASE_IAM_ACCESS_COMMAND);
    expect(container?.Environment).toEqual(
      expect.arrayContaining([{ Name: 'IAM_ROLE', Value: SLOTS_IAM_ROLE }]),
    );
    // Its session timeout is the program's default without a proxy.
    expect(container?.Environment.map((v) => v.Name)).not.toContain(
      'IAM_ROLE_IDLE_SESSION_TIMEOUT',
    );
    expect(resource(migrationsRun).DependsOn).toContain(provisioningRun);
    expect(resource(iamAccessRun).DependsOn).toContain(migrationsRun);
    for (const id of SLOTS_FUNCTIONS) {
      expect(resource(id).DependsOn).toEqual(expect.arrayContaining([iamAccessRun]));
    }
  });
});

describe('the RDS Proxy (rdsProxy)', () => {
  it(
    'has a role of its own that may connect to the instance as the functions’ role, for end-to-end IAM',
    () => {
      const { template: proxiedTemplate } = proxied();
      const [[, proxy]] = resources('AWS::RDS::DBProxy', proxiedTemplate) as [[string, Resource]];
      const role = (proxy.Properties.RoleArn as GetAtt)['Fn::GetAtt'][0];

      expect(proxy.Properties).toMatchObject({
        EngineFamily: 'POSTGRESQL',
        RequireTLS: true,
        DefaultAuthScheme: 'IAM_AUTH',
      });
      // No secrets, so no per-secret auth entry (iamAuth would only set one).
      expect(proxy.Properties).not.toHaveProperty('Auth');
      expect(resource(role, proxiedTemplate).Properties.AssumeRolePolicyDocument).toMatchObject({
        Statement: [{ Action: 'sts:AssumeRole', Principal: { Service: 'rds.amazonaws.com' } }],
      });
      expect(statementsOf(role, proxiedTemplate)).toEqual([connectToInstanceAs(SLOTS_IAM_ROLE)]);
    },
    SYNTH_TIMEOUT,
  );

  it(
    'lets the functions connect to the proxy only, and their role’s sessions never time out idle behind it',
    () => {
      const { template: proxiedTemplate } = proxied();
      const [[proxyId]] = resources('AWS::RDS::DBProxy', proxiedTemplate) as [[string, Resource]];
      const [, iamAccess] = resourceNamed(
        'AWS::ECS::TaskDefinition',
        'SlotsIamAccessTask',
        proxiedTemplate,
      );
      const [container] = iamAccess.Properties.ContainerDefinitions as Array<{
        Environment: Array<{ Name: string; Value: string }>;
      }>;

      for (const id of SLOTS_FUNCTIONS) {
        const connects = statementsOf(
          (resource(id, proxiedTemplate).Properties.Role as GetAtt)['Fn::GetAtt'][0],
          proxiedTemplate,
        ).filter((s) => s.Action === 'rds-db:connect');
        expect(JSON.stringify(connects)).toContain(proxyId);
        expect(JSON.stringify(connects)).not.toContain('DbiResourceId');
      }
      expect(container?.Environment).toEqual(
        expect.arrayContaining([{ Name: 'IAM_ROLE_IDLE_SESSION_TIMEOUT', Value: '0s' }]),
      );
    },
    SYNTH_TIMEOUT,
  );
});

describe('the slots HTTP API', () => {
  it('routes exactly the contract’s /api/slots operations, plus $default', () => {
    const routeKeys = resources('AWS::ApiGatewayV2::Route')
      .map(([, route]) => route.Properties.RouteKey as string)
      .sort();

    expect(contractSlotsRouteKeys().length).toBeGreaterThan(0);
    expect(routeKeys).toEqual(['$default', ...contractSlotsRouteKeys()].sort());
  });

  it('sends the spin to the write function, $default and the reads to the read function', () => {
    const targetOf = (routeKey: string) => {
      const [, route] = resources('AWS::ApiGatewayV2::Route').find(
        ([, r]) => r.Properties.RouteKey === routeKey,
      ) as [string, Resource];
      const integration = (route.Properties.Target as { 'Fn::Join': [string, unknown[]] })[
        'Fn::Join'
      ][1][1] as { Ref: string };
      const uri = resource(integration.Ref).Properties.IntegrationUri as GetAtt;
      return uri['Fn::GetAtt'][0];
    };

    expect(targetOf('POST /api/slots/spins')).toBe(LOGICAL_IDS.writeFunction);
    for (const key of contractSlotsRouteKeys().filter((k) => !k.startsWith('POST'))) {
      expect(targetOf(key)).toBe(LOGICAL_IDS.readFunction);
    }
    expect(targetOf('$default')).toBe(LOGICAL_IDS.readFunction);
  });

  it('never routes the ranks function: only the forum invokes it', () => {
    const invokedByApi = resources('AWS::Lambda::Permission')
      .filter(([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com')
      .map(([, p]) => (p.Properties.FunctionName as GetAtt)['Fn::GetAtt'][0]);

    expect(invokedByApi).not.toContain(LOGICAL_IDS.ranksFunction);
  });

  it('throttles its one stage as a backstop and logs its access to a log group kept a week', () => {
    const [, stage] = resourceNamed('AWS::ApiGatewayV2::Stage', 'SlotsApiStage');
    const logGroup = (stage.Properties.AccessLogSettings as { DestinationArn: GetAtt })
      .DestinationArn['Fn::GetAtt'][0];

    expect(stage.Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: STAGE_THROTTLE.rateLimit,
        ThrottlingBurstLimit: STAGE_THROTTLE.burstLimit,
      },
    });
    expect(resource(logGroup).Properties.RetentionInDays).toBe(7);
    // A single client at the edge's limit stays under the backstop.
    expect(EDGE_RATE_LIMIT.requests / EDGE_RATE_LIMIT.windowSeconds).toBeLessThan(
      STAGE_THROTTLE.rateLimit,
    );
  });
});

describe('the slots HTTP API’s access logs', () => {
  // Variables of the API Gateway DG's "Customize HTTP API access logs" (a subset): an HTTP API
  // has no `$context.resourcePath`, for one, which the REST API's standard format logs.
  const HTTP_API_VARIABLES = [
    '$context.requestId',
    '$context.requestTime',
    '$context.identity.sourceIp',
    '$context.httpMethod',
    '$context.path',
    '$context.routeKey',
    '$context.protocol',
    '$context.status',
    '$context.responseLength',
    '$context.responseLatency',
    '$context.integration.latency',
    '$context.integration.status',
    '$context.integrationErrorMessage',
    '$context.error.message',
  ];

  it('logs each request as one JSON object of HTTP API variables: route key, status, latencies, the integration’s error', () => {
    const [, stage] = resourceNamed('AWS::ApiGatewayV2::Stage', 'SlotsApiStage');
    const format = (stage.Properties.AccessLogSettings as { Format: string }).Format;

    const fields = JSON.parse(format) as Record<string, unknown>;
    const variables = Object.values(fields);

    for (const variable of variables) expect(HTTP_API_VARIABLES).toContain(variable);
    expect(variables).toEqual(
      expect.arrayContaining([
        '$context.requestId',
        '$context.routeKey',
        '$context.path',
        '$context.status',
        '$context.responseLatency',
        '$context.integrationErrorMessage',
        '$context.identity.sourceIp',
        '$context.requestTime',
      ]),
    );
  });
});

describe('the forum and the ranks function', () => {
  it('gives the forum the ranks function’s name and the right to invoke it, and no other function', () => {
    const [, forumTask] = resourceNamed('AWS::ECS::TaskDefinition', 'ForumTask');
    const app = (
      forumTask.Properties.ContainerDefinitions as Array<{
        Name: string;
        Environment: Array<{ Name: string; Value: unknown }>;
      }>
    ).find((c) => c.Name === 'forum');
    const taskRole = (forumTask.Properties.TaskRoleArn as GetAtt)['Fn::GetAtt'][0];
    const invokes = statementsOf(taskRole).filter((s) => s.Action === 'lambda:InvokeFunction');

    expect(app?.Environment).toEqual(
      expect.arrayContaining([
        { Name: 'RANKS_FUNCTION_NAME', Value: { Ref: LOGICAL_IDS.ranksFunction } },
        { Name: 'STAGE', Value: '03' },
      ]),
    );
    expect(invokes).toHaveLength(1);
    expect(JSON.stringify(invokes[0]?.Resource)).toContain(LOGICAL_IDS.ranksFunction);
    expect(JSON.stringify(invokes[0]?.Resource)).not.toMatch(
      new RegExp(`${LOGICAL_IDS.writeFunction}|${LOGICAL_IDS.readFunction}`),
    );
  });

  it('builds the forum’s image from this stage’s server, and runs no slots service', () => {
    const services = resources('AWS::ECS::Service').map(([id]) => id);
    const forumContext = join(offline.assemblyDir, 'bundles', 'forum-03');

    expect(services.map((id) => id.replace(/Service.*/, '')).sort()).toEqual(['Forum', 'Users']);
    expect(existsSync(join(forumContext, 'server.mjs'))).toBe(true);
    expect(existsSync(join(forumContext, 'Dockerfile'))).toBe(true);
  });
});

describe('the network', () => {
  it('has no NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  it('admits exactly the paths the stage uses, each to its port', () => {
    const loadBalancer = securityGroupOf('LoadBalancerSecurityGroup');
    const database = securityGroupOf('DatabaseSecurityGroup');
    const [cloudFront] = resourceNamed('Custom::AWS', 'CloudFrontOriginFacingPrefixList');
    const users = securityGroupOf('UsersSecurityGroup');
    const forum = securityGroupOf('ForumSecurityGroup');
    const functions = securityGroupOf('SlotsFunctionsSecurityGroup');

    expect(ingressFlows()).toEqual(
      [
        `prefix list ${cloudFront} -> ${loadBalancer}:80`,
        `${loadBalancer} -> ${users}:${SERVICE_PORT}`,
        `${loadBalancer} -> ${forum}:${SERVICE_PORT}`,
        `${forum} -> ${users}:${SERVICE_PORT}`,
        `${functions} -> ${users}:${SERVICE_PORT}`,
        `${users} -> ${database}:5432`,
        `${forum} -> ${database}:5432`,
        `${functions} -> ${database}:5432`,
        `${securityGroupOf('DatabaseProvisioningSecurityGroup')} -> ${database}:5432`,
        `${securityGroupOf('SlotsMigrationsSecurityGroup')} -> ${database}:5432`,
        `${securityGroupOf('SlotsIamAccessSecurityGroup')} -> ${database}:5432`,
      ].sort(),
    );
  });

  it('lets the functions out only to the database and to the users service', () => {
    const functions = securityGroupOf('SlotsFunctionsSecurityGroup');
    const egress = resources('AWS::EC2::SecurityGroupEgress')
      .map(([, rule]) => rule.Properties as Record<string, unknown>)
      .filter((rule) => (rule.GroupId as GetAtt)['Fn::GetAtt'][0] === functions)
      .map(
        (rule) =>
          `${(rule.DestinationSecurityGroupId as GetAtt)['Fn::GetAtt'][0]}:${rule.FromPort}-${rule.ToPort}`,
      )
      .sort();

    // No inline rule (allowAllOutbound would put 0.0.0.0/0 there); CloudFormation drops a new
    // group's default allow-all rule once a SecurityGroupEgress resource adds one of its own.
    expect(resource(functions).Properties.SecurityGroupEgress).toBeUndefined();
    expect(egress).toEqual(
      [
        `${securityGroupOf('DatabaseSecurityGroup')}:5432-5432`,
        `${securityGroupOf('UsersSecurityGroup')}:${SERVICE_PORT}-${SERVICE_PORT}`,
      ].sort(),
    );
  });

  it('lets the forum out on HTTPS, the way to the Lambda API’s public endpoint', () => {
    const [, forum] = resourceNamed('AWS::EC2::SecurityGroup', 'ForumSecurityGroup');

    expect(forum.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 }),
    ]);
  });
});

describe('CloudFront', () => {
  interface Behavior {
    PathPattern: string;
    TargetOriginId: string;
    CachePolicyId: string;
    OriginRequestPolicyId: string;
  }
  interface Origin {
    Id: string;
    DomainName: unknown;
    CustomOriginConfig?: Record<string, unknown>;
    VpcOriginConfig?: unknown;
  }
  function distributionConfig(from: Template = template) {
    const [[, distribution]] = resources('AWS::CloudFront::Distribution', from) as [
      [string, Resource],
    ];
    return distribution.Properties.DistributionConfig as {
      CacheBehaviors: Behavior[];
      Origins: Origin[];
      WebACLId?: unknown;
    };
  }

  it('sends /api/slots/* to the HTTP API over HTTPS, uncached, with every viewer header but Host, before /api/*', () => {
    const config = distributionConfig();
    const patterns = config.CacheBehaviors.map((b) => b.PathPattern);
    const slots = config.CacheBehaviors.find((b) => b.PathPattern === SLOTS_API_PATHS[0]);
    const origin = config.Origins.find((o) => o.Id === slots?.TargetOriginId);

    expect(patterns).toEqual([...SLOTS_API_PATHS, ...LOAD_BALANCER_PATHS]);
    expect(slots).toMatchObject({
      CachePolicyId: cloudfront.CachePolicy.CACHING_DISABLED.cachePolicyId,
      OriginRequestPolicyId:
        cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId,
    });
    expect(origin?.DomainName).toEqual({
      'Fn::Select': [
        2,
        { 'Fn::Split': ['/', { 'Fn::GetAtt': [LOGICAL_IDS.slotsApi, 'ApiEndpoint'] }] },
      ],
    });
    expect(origin?.CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: 'https-only',
      OriginSSLProtocols: ['TLSv1.2'],
    });
  });

  it('sends the other API paths to the load balancer through its VPC origin', () => {
    const config = distributionConfig();
    for (const path of LOAD_BALANCER_PATHS) {
      const behavior = config.CacheBehaviors.find((b) => b.PathPattern === path);
      const origin = config.Origins.find((o) => o.Id === behavior?.TargetOriginId);

      expect(origin?.VpcOriginConfig).toBeDefined();
    }
  });

  it('has no web ACL offline, and the edge stack’s when deploying', () => {
    const edge = deployed.edge;
    if (edge === undefined) throw new Error('the deployed stage has no edge stack');
    const deployedConfig = distributionConfig(Template.fromStack(deployed.stack));

    expect(offline.edge).toBeUndefined();
    expect(distributionConfig().WebACLId).toBeUndefined();
    expect(edge.region).toBe('us-east-1');
    expect(JSON.stringify(deployedConfig.WebACLId)).toMatch(/CourseServerlessEdge|WebAcl/);
  });
});

describe('the edge stack’s web ACL', () => {
  function webAcl(): Record<string, unknown> {
    const edge = deployed.edge;
    if (edge === undefined) throw new Error('the deployed stage has no edge stack');
    const [[, acl]] = resources('AWS::WAFv2::WebACL', Template.fromStack(edge)) as [
      [string, Resource],
    ];
    return acl.Properties;
  }

  it('limits each client address on /api/ and answers 429 with the contract’s problem, Retry-After and X-Served-By', () => {
    const acl = webAcl();
    const [rule] = acl.Rules as Array<Record<string, unknown>>;
    if (rule === undefined) throw new Error('the web ACL has no rule');
    const block = (
      rule.Action as {
        Block: {
          CustomResponse: {
            ResponseCode: number;
            CustomResponseBodyKey: string;
            ResponseHeaders: Array<{ Name: string; Value: string }>;
          };
        };
      }
    ).Block.CustomResponse;
    const bodies = acl.CustomResponseBodies as Record<
      string,
      { ContentType: string; Content: string }
    >;
    const body = JSON.parse(bodies[block.CustomResponseBodyKey]?.Content ?? '{}') as Record<
      string,
      unknown
    >;

    expect(acl.Scope).toBe('CLOUDFRONT');
    expect(rule.Statement).toMatchObject({
      RateBasedStatement: {
        AggregateKeyType: 'IP',
        Limit: EDGE_RATE_LIMIT.requests,
        EvaluationWindowSec: EDGE_RATE_LIMIT.windowSeconds,
        ScopeDownStatement: {
          ByteMatchStatement: { SearchString: '/api/', PositionalConstraint: 'STARTS_WITH' },
        },
      },
    });
    expect(block.ResponseCode).toBe(429);
    expect(bodies[block.CustomResponseBodyKey]?.ContentType).toBe('APPLICATION_JSON');
    expect(body).toMatchObject({ type: 'about:blank', title: 'Too Many Requests', status: 429 });
    expect(block.ResponseHeaders).toEqual(
      expect.arrayContaining([
        { Name: 'Retry-After', Value: String(EDGE_RATE_LIMIT.windowSeconds) },
        { Name: 'X-Served-By', Value: expect.stringMatching(/^[a-z0-9-]+@\d\d \([a-z-]+\)$/) },
      ]),
    );
  });
});

describe('the template', () => {
  it('has the logical ids stage.ts looks up, each with its type', () => {
    const types = {
      [LOGICAL_IDS.slotsApi]: 'AWS::ApiGatewayV2::Api',
      [LOGICAL_IDS.database]: 'AWS::RDS::DBInstance',
      [LOGICAL_IDS.ranksFunction]: 'AWS::Lambda::Function',
      [LOGICAL_IDS.writeFunction]: 'AWS::Lambda::Function',
      [LOGICAL_IDS.readFunction]: 'AWS::Lambda::Function',
    };

    expect(Object.keys(types).sort()).toEqual(Object.values(LOGICAL_IDS).sort());
    for (const [id, type] of Object.entries(types)) expect(resource(id).Type).toBe(type);
  });

  it('has no unsuppressed cdk-nag AwsSolutions finding, offline or deploying, edge stack included', () => {
    expect(nagFindings(offline.stack)).toEqual([]);
    expect(nagFindings(deployed.stack)).toEqual([]);
    expect(deployed.edge && nagFindings(deployed.edge)).toEqual([]);
  });

  it(
    'has none either with an RDS Proxy',
    () => {
      expect(nagFindings(proxied().stack)).toEqual([]);
    },
    SYNTH_TIMEOUT,
  );
});
