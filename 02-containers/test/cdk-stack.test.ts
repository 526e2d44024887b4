import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  applyCourseNagChecks,
  CLOUDFRONT_ORIGIN_FACING_WEIGHT,
  SECURITY_GROUP_INBOUND_RULES_QUOTA,
} from '@course/constructs';
import { nagFindings } from '@course/constructs/testing';
import { pathMatches } from '@course/facade/route-table';
import { App, type StackProps } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBundle } from '../cdk/bundles.ts';
import {
  API_PATHS,
  ContainersStack,
  SERVICE_DOMAIN,
  SERVICE_PORT,
} from '../cdk/containers-stack.ts';
import {
  DATABASE_PROVISIONING_COMMAND,
  DATABASE_SETUP_COMMAND,
  databaseProvisioningImage,
  HEALTH_CHECK_GRACE_PERIOD,
  type Service,
  serviceImage,
} from '../cdk/images.ts';
import { webAppSource } from '../cdk/web-app.ts';
import routes from '../routes.ts';
import { containerEnvironment } from '../src/container-env.ts';
import { loadConfig as loadForumConfig } from '../src/forum/config.ts';
import { loadConfig as loadSlotsConfig } from '../src/slots/config.ts';
import { loadConfig as loadUsersConfig } from '../src/users/config.ts';

const stageDir = fileURLToPath(new URL('..', import.meta.url));
const SERVICES: readonly Service[] = ['users', 'forum', 'slots'];

/** cdk.json's context (its feature flags), as `cdk deploy` applies it. */
function deployContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(stageDir, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/** The stack `pnpm cdk deploy` deploys, with the app's own route table, images and site. */
function synthContainers(stackProps: StackProps = {}): { app: App; stack: ContainersStack } {
  const app = new App({ context: deployContext() });
  const stack = new ContainersStack(app, 'CourseContainers', {
    ...stackProps,
    routes,
    image: serviceImage,
    databaseProvisioningImage,
    site: webAppSource(),
  });
  applyCourseNagChecks(app);
  return { app, stack };
}

let stack: ContainersStack;
let template: Template;
/** The synthesized cloud assembly's asset manifest: how each image is built. */
let imageAssets: Record<string, { source: Record<string, string> }>;
/** The cloud assembly's folder, where each image's staged build context is. */
let assemblyDir: string;

// Synthesizing stages three image contexts and the web build: more than vitest's defaults.
const SYNTH_TIMEOUT = 120_000;

beforeAll(() => {
  const synthesized = synthContainers();
  stack = synthesized.stack;
  template = Template.fromStack(stack);
  const manifest = JSON.parse(
    readFileSync(join(synthesized.app.outdir, `${stack.artifactId}.assets.json`), 'utf8'),
  ) as { dockerImages: typeof imageAssets };
  imageAssets = manifest.dockerImages;
  assemblyDir = synthesized.app.outdir;
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
interface ContainerDefinition {
  Name: string;
  Essential?: boolean;
  Command?: string[];
  Image: { 'Fn::Sub': string };
  Environment?: Array<{ Name: string; Value: string }>;
  Secrets?: Array<{ Name: string; ValueFrom: Ref }>;
  DependsOn?: Array<{ Condition: string; ContainerName: string }>;
  HealthCheck?: Record<string, unknown>;
  LogConfiguration?: { LogDriver: string; Options: Record<string, unknown> };
}

function resources(type: string): Array<[string, Resource]> {
  return Object.entries(template.findResources(type)) as Array<[string, Resource]>;
}

/** The one resource of `type` whose logical id starts with `prefix`. */
function resourceNamed(type: string, prefix: string): [string, Resource] {
  const found = resources(type).filter(([id]) => id.startsWith(prefix));
  expect(found, `${type} ${prefix}*`).toHaveLength(1);
  return found[0] as [string, Resource];
}

const constructId = (service: Service) => `${service[0]?.toUpperCase()}${service.slice(1)}`;

/** A service's containers: its app container (named after it) and its setup container. */
function containersOf(service: Service): { app: ContainerDefinition; setup: ContainerDefinition } {
  const [, task] = resourceNamed('AWS::ECS::TaskDefinition', `${constructId(service)}Task`);
  const containers = task.Properties.ContainerDefinitions as ContainerDefinition[];
  const app = containers.find((container) => container.Name === service);
  const setup = containers.find((container) => container.Name === `${service}-setup`);
  if (app === undefined || setup === undefined) throw new Error(`${service}: missing container`);
  return { app, setup };
}

function environmentOf(container: ContainerDefinition): Record<string, string> {
  return Object.fromEntries((container.Environment ?? []).map((e) => [e.Name, e.Value]));
}

function secretsOf(container: ContainerDefinition): Record<string, string> {
  return Object.fromEntries((container.Secrets ?? []).map((s) => [s.Name, s.ValueFrom.Ref]));
}

/** The logical id of the secret attachment that holds a database user's credentials. */
function userSecretOf(service: Service): string {
  return resourceNamed('AWS::SecretsManager::SecretTargetAttachment', `Database${service}User`)[0];
}

function adminSecret(): string {
  return resourceNamed('AWS::SecretsManager::SecretTargetAttachment', 'DatabaseInstance')[0];
}

/** The one-off task that creates every service's role and database, and the resource that runs it. */
function provisioning() {
  const [taskId, task] = resourceNamed('AWS::ECS::TaskDefinition', 'DatabaseProvisioningTask');
  const [runId, run] = resourceNamed('Custom::DeployTimeTask', 'DatabaseProvisioning');
  const [container] = task.Properties.ContainerDefinitions as ContainerDefinition[];
  if (container === undefined) throw new Error('the provisioning task has no container');
  return { taskId, task, container, runId, run };
}

/** The IAM policy statements of the role `roleId` (a logical id), from every policy attached. */
function statementsOf(roleId: string): Array<Record<string, unknown>> {
  return resources('AWS::IAM::Policy')
    .filter(
      ([, policy]) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
    )
    .flatMap(
      ([, policy]) =>
        (policy.Properties.PolicyDocument as { Statement: Array<Record<string, unknown>> })
          .Statement,
    );
}

/** The logical id of the role a Lambda function of the provisioning runs as. */
function roleOfFunction(prefix: string): string {
  const [, fn] = resourceNamed('AWS::Lambda::Function', prefix);
  return (fn.Properties.Role as GetAtt)['Fn::GetAtt'][0];
}

function securityGroupOf(service: Service): string {
  return resourceNamed('AWS::EC2::SecurityGroup', `${constructId(service)}SecurityGroup`)[0];
}

function targetGroupOf(service: Service): string {
  return resourceNamed('AWS::ElasticLoadBalancingV2::TargetGroup', `${constructId(service)}`)[0];
}

/**
 * Ingress rules, as "source -> destination:port" by logical id: the source is a security group,
 * or `prefix list <lookup>` for a prefix list whose id a custom resource looks up.
 */
function ingressFlows(): string[] {
  return resources('AWS::EC2::SecurityGroupIngress')
    .map(([, rule]) => rule.Properties as Record<string, GetAtt & number>)
    .map((rule) => {
      const prefixList = rule.SourcePrefixListId as unknown as GetAtt | undefined;
      const source =
        prefixList === undefined
          ? (rule.SourceSecurityGroupId as unknown as GetAtt)['Fn::GetAtt'][0]
          : `prefix list ${prefixList['Fn::GetAtt'][0]}`;
      const destination = (rule.GroupId as unknown as GetAtt)['Fn::GetAtt'][0];
      expect(rule.FromPort).toBe(rule.ToPort);
      return `${source} -> ${destination}:${rule.FromPort}`;
    })
    .sort();
}

/** The Dockerfile's HEALTHCHECK: its options and its command (exec form). */
function dockerfileHealthCheck(): { options: Record<string, string>; command: string[] } {
  const dockerfile = readFileSync(join(stageDir, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const instruction = dockerfile.split('\n').find((line) => line.startsWith('HEALTHCHECK '));
  if (instruction === undefined) throw new Error('the Dockerfile has no HEALTHCHECK');
  const options = Object.fromEntries(
    [...instruction.matchAll(/--([a-z-]+)=(\S+)/g)].map((m) => [m[1] as string, m[2] as string]),
  );
  const command = JSON.parse(instruction.slice(instruction.indexOf(' CMD ') + 5)) as string[];
  return { options, command };
}

/** The asset hash an image's container names as its tag. */
function imageTagOf(container: ContainerDefinition): string {
  return container.Image['Fn::Sub'].split(':').at(-1) ?? '';
}

/** Each file under `dir` by its relative path, with the SHA-256 of its bytes. */
function filesWithContent(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((path) => statSync(join(dir, path)).isFile())
      .sort()
      .map((path) => [
        path,
        createHash('sha256')
          .update(readFileSync(join(dir, path)))
          .digest('hex'),
      ]),
  );
}

/** Docker durations as the Dockerfile writes them ("30s") → seconds, as ECS takes them. */
function seconds(duration: string | undefined): number {
  const match = /^(\d+)s$/.exec(duration ?? '');
  if (match === null) throw new Error(`unexpected duration ${duration}`);
  return Number(match[1]);
}

/** The listener rules in priority order, in the route table's terms. */
function listenerRouting() {
  const groupToService = new Map(SERVICES.map((service) => [targetGroupOf(service), service]));
  return resources('AWS::ElasticLoadBalancingV2::ListenerRule')
    .map(([, rule]) => rule.Properties as Record<string, unknown>)
    .sort((a, b) => (a.Priority as number) - (b.Priority as number))
    .map((rule) => {
      const [condition] = rule.Conditions as Array<{ PathPatternConfig: { Values: string[] } }>;
      const [action] = rule.Actions as Array<{ Type: string; TargetGroupArn: Ref }>;
      return {
        priority: rule.Priority,
        paths: condition?.PathPatternConfig.Values,
        forwardsTo: groupToService.get(action?.TargetGroupArn.Ref ?? ''),
      };
    });
}

describe('ContainersStack', { timeout: SYNTH_TIMEOUT }, () => {
  it('has no NAT gateway and no interface endpoint: tasks reach AWS over their public IPs', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    for (const [, service] of resources('AWS::ECS::Service')) {
      expect(service.Properties.NetworkConfiguration).toMatchObject({
        AwsvpcConfiguration: {
          AssignPublicIp: 'ENABLED',
          Subnets: [
            { Ref: expect.stringMatching(/publicSubnet1/) },
            { Ref: expect.stringMatching(/publicSubnet2/) },
          ],
        },
      });
    }
  });

  it('runs each service, and the database provisioning, as a Fargate task for ARM64 with 0.25 vCPU and 512 MiB', () => {
    const tasks = resources('AWS::ECS::TaskDefinition');

    expect(tasks).toHaveLength(SERVICES.length + 1);
    for (const [, task] of tasks) {
      expect(task.Properties).toMatchObject({
        RequiresCompatibilities: ['FARGATE'],
        RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
        Cpu: '256',
        Memory: '512',
      });
    }
  });

  it("builds each service's containers from one image, for linux/arm64", () => {
    const tags = SERVICES.map((service) => {
      const { app, setup } = containersOf(service);
      const tag = imageTagOf(app);

      expect(imageTagOf(setup), service).toBe(tag);
      expect(imageAssets[tag]?.source, service).toEqual({
        directory: expect.any(String),
        platform: 'linux/arm64',
      });
      // The app container runs the image's own command: the entrypoint the Dockerfile sets.
      expect(app.Command).toBeUndefined();
      return tag;
    });

    expect(new Set(tags).size).toBe(SERVICES.length);
  });

  it.each(SERVICES)(
    "builds the %s image from a context that is the service's bundle and nothing else",
    (service) => {
      const fresh = mkdtempSync(join(tmpdir(), `course-02-${service}-`));
      try {
        buildBundle(fresh, service);
        const context = join(
          assemblyDir,
          imageAssets[imageTagOf(containersOf(service).app)]?.source.directory ?? '',
        );

        // The asset hash is a hash of this folder: it changes when the service's bundle does.
        expect(filesWithContent(context)).toEqual(filesWithContent(fresh));
      } finally {
        rmSync(fresh, { recursive: true, force: true });
      }
    },
  );

  it('gives each app container its own database secret only, and users its signing seed', () => {
    for (const service of SERVICES) {
      const { app } = containersOf(service);

      const secrets = secretsOf(app);

      expect(secrets.DATABASE_SECRET, service).toBe(userSecretOf(service));
      expect(Object.values(secrets), service).not.toContain(adminSecret());
      for (const other of SERVICES.filter((s) => s !== service)) {
        expect(Object.values(secrets), `${service} holds ${other}'s secret`).not.toContain(
          userSecretOf(other),
        );
      }
    }
    expect(Object.keys(secretsOf(containersOf('users').app)).sort()).toEqual([
      'DATABASE_SECRET',
      'JWT_SIGNING_SEED',
    ]);
    expect(Object.keys(secretsOf(containersOf('forum').app))).toEqual(['DATABASE_SECRET']);
    expect(Object.keys(secretsOf(containersOf('slots').app))).toEqual(['DATABASE_SECRET']);
  });

  it('creates a database user per service, named after it, on the one RDS server', () => {
    template.resourceCountIs('AWS::RDS::DBInstance', 1);
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceClass: 'db.t4g.micro',
      PubliclyAccessible: false,
      StorageEncrypted: true,
    });
    const credentials = resources('AWS::SecretsManager::Secret')
      .map(([, secret]) => secret.Properties.GenerateSecretString as Record<string, string>)
      .map((generated) => JSON.parse(generated.SecretStringTemplate ?? '{}'))
      .filter((fields) => fields.dbname !== undefined && fields.username !== 'course_admin');

    expect(credentials).toEqual(
      expect.arrayContaining(SERVICES.map((s) => ({ username: s, dbname: s }))),
    );
    expect(credentials).toHaveLength(SERVICES.length);
  });

  it("runs the database setup first, with the service's own secret only, and starts the app on success", () => {
    for (const service of SERVICES) {
      const { app, setup } = containersOf(service);

      expect(setup).toMatchObject({ Essential: false, Command: DATABASE_SETUP_COMMAND });
      expect(environmentOf(setup)).toEqual({ SERVICE: service });
      expect(secretsOf(setup)).toEqual({ DATABASE_SECRET: userSecretOf(service) });
      expect(app.Essential).toBe(true);
      expect(app.DependsOn).toEqual([{ Condition: 'SUCCESS', ContainerName: `${service}-setup` }]);
    }
    const context = imageAssets[imageTagOf(containersOf('users').setup)]?.source.directory ?? '';
    expect(existsSync(join(assemblyDir, context, DATABASE_SETUP_COMMAND.at(-1) ?? ''))).toBe(true);
  });

  it('references the master secret from the provisioning task definition, and from no other', () => {
    const referencing = resources('AWS::ECS::TaskDefinition')
      .filter(([, task]) => JSON.stringify(task.Properties).includes(`"${adminSecret()}"`))
      .map(([id]) => id);

    expect(referencing).toEqual([provisioning().taskId]);
  });

  it('lets only the provisioning task execution role read the master secret', () => {
    const readers = resources('AWS::IAM::Policy')
      .filter(([, policy]) =>
        JSON.stringify(policy.Properties.PolicyDocument).includes(`"${adminSecret()}"`),
      )
      .map(([, policy]) => JSON.stringify(policy.Properties.Roles));
    const { task } = provisioning();
    const executionRole = (task.Properties.ExecutionRoleArn as GetAtt)['Fn::GetAtt'][0];

    expect(readers).toEqual([JSON.stringify([{ Ref: executionRole }])]);
  });

  it('gives the provisioning the master secret and every service secret, and its own image', () => {
    const { container } = provisioning();
    const context = join(assemblyDir, imageAssets[imageTagOf(container)]?.source.directory ?? '');
    const serviceTags = SERVICES.map((service) => imageTagOf(containersOf(service).app));

    expect(secretsOf(container)).toEqual({
      DATABASE_ADMIN_SECRET: adminSecret(),
      USERS_DATABASE_SECRET: userSecretOf('users'),
      FORUM_DATABASE_SECRET: userSecretOf('forum'),
      SLOTS_DATABASE_SECRET: userSecretOf('slots'),
    });
    expect(container.Environment ?? []).toEqual([]);
    // An image of its own, from the provisioning's bundle: no service image is the one that
    // runs with the master secret.
    expect(serviceTags).not.toContain(imageTagOf(container));
    expect(imageAssets[imageTagOf(container)]?.source.platform).toBe('linux/arm64');
    expect(container.Command).toEqual(DATABASE_PROVISIONING_COMMAND);
    expect(existsSync(join(context, DATABASE_PROVISIONING_COMMAND.at(-1) ?? ''))).toBe(true);
  });

  it('runs the provisioning once the database is up, in the public subnets, reaching the database', () => {
    const { taskId, run } = provisioning();
    const [instance] = resourceNamed('AWS::RDS::DBInstance', 'DatabaseInstance');
    const [group] = resourceNamed('AWS::EC2::SecurityGroup', 'DatabaseProvisioningSecurityGroup');
    const [database] = resourceNamed('AWS::EC2::SecurityGroup', 'DatabaseSecurityGroup');
    const [ingress] = resources('AWS::EC2::SecurityGroupIngress').find(([, rule]) =>
      JSON.stringify(rule.Properties.SourceSecurityGroupId).includes(`"${group}"`),
    ) ?? [''];

    expect(run.Properties).toMatchObject({
      TaskDefinition: { Ref: taskId },
      ContainerName: 'database-provisioning',
      SecurityGroups: [{ 'Fn::GetAtt': [group, 'GroupId'] }],
      Subnets: [
        { Ref: expect.stringMatching(/publicSubnet1/) },
        { Ref: expect.stringMatching(/publicSubnet2/) },
      ],
    });
    expect(ingressFlows()).toContain(`${group} -> ${database}:5432`);
    expect(run.DependsOn).toEqual(expect.arrayContaining([instance, ingress]));
  });

  it('starts each service only after the provisioning has succeeded', () => {
    const { runId } = provisioning();

    for (const service of SERVICES) {
      const [, ecsService] = resourceNamed('AWS::ECS::Service', `${constructId(service)}Service`);

      expect(ecsService.DependsOn, service).toContain(runId);
    }
  });

  it('lets the provisioning functions run that one task definition in the cluster and watch its tasks, nothing more', () => {
    const { taskId, task } = provisioning();
    const [cluster] = resourceNamed('AWS::ECS::Cluster', 'Cluster');
    const roles = [task.Properties.TaskRoleArn, task.Properties.ExecutionRoleArn];

    const start = statementsOf(roleOfFunction('DatabaseProvisioningStart'));
    const watch = statementsOf(roleOfFunction('DatabaseProvisioningWatch'));

    expect(start).toEqual([
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: expect.arrayContaining(roles),
        Condition: { StringLike: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      },
      {
        Action: 'ecs:RunTask',
        Effect: 'Allow',
        Resource: { Ref: taskId },
        Condition: { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [cluster, 'Arn'] } } },
      },
    ]);
    expect(start[0]?.Resource).toHaveLength(roles.length);
    expect(watch).toEqual([
      {
        Action: 'ecs:DescribeTasks',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':ecs:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':task/',
              { Ref: cluster },
              '/*',
            ],
          ],
        },
      },
    ]);
  });

  it('gives each service an environment that its own config accepts, once the secrets arrive', () => {
    const database = (name: string) =>
      JSON.stringify({
        username: name,
        password: 'pw',
        host: 'db.example',
        port: 5432,
        dbname: name,
      });
    const loaders = { users: loadUsersConfig, forum: loadForumConfig, slots: loadSlotsConfig };

    for (const service of SERVICES) {
      const { app } = containersOf(service);
      const environment = containerEnvironment({
        ...environmentOf(app),
        DATABASE_SECRET: database(service),
        ...(secretsOf(app).JWT_SIGNING_SEED === undefined
          ? {}
          : { JWT_SIGNING_SEED: 'a'.repeat(64) }),
      });

      const config = loaders[service](environment);

      expect(config).toMatchObject({
        HOST: '0.0.0.0',
        PORT: SERVICE_PORT,
        STAGE: '02',
        TRUST_PROXY: 2,
        TOKEN_ISSUER: 'users',
      });
      expect(new URL(config.DATABASE_URL).pathname).toBe(`/${service}`);
    }
  });

  it('has users sign with the seed, and forum and slots find users and slots in Cloud Map', () => {
    const jwksUrl = `http://users.${SERVICE_DOMAIN}:${SERVICE_PORT}/.well-known/jwks.json`;

    expect(environmentOf(containersOf('forum').app)).toMatchObject({
      JWKS_URL: jwksUrl,
      SLOTS_URL: `http://slots.${SERVICE_DOMAIN}:${SERVICE_PORT}`,
    });
    expect(environmentOf(containersOf('slots').app)).toMatchObject({ JWKS_URL: jwksUrl });
    expect(secretsOf(containersOf('users').app).JWT_SIGNING_SEED).toBe(
      resourceNamed('AWS::SecretsManager::Secret', 'JwtSigningSeed')[0],
    );
  });

  it('registers every service in a private DNS namespace, as A records', () => {
    template.resourceCountIs('AWS::ServiceDiscovery::PrivateDnsNamespace', 1);
    template.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', {
      Name: SERVICE_DOMAIN,
    });
    const registered = resources('AWS::ServiceDiscovery::Service').map(([, s]) => s.Properties);

    expect(registered.map((s) => s.Name).sort()).toEqual([...SERVICES].sort());
    for (const service of registered) {
      expect(service.DnsConfig).toMatchObject({ DnsRecords: [{ Type: 'A', TTL: 10 }] });
    }
    for (const [, service] of resources('AWS::ECS::Service')) {
      expect(service.Properties.ServiceRegistries).toHaveLength(1);
    }
  });

  it('allows exactly the calls between services, the load balancer in, and each to its database', () => {
    const [loadBalancer] = resourceNamed('AWS::EC2::SecurityGroup', 'LoadBalancerSecurityGroup');
    const [database] = resourceNamed('AWS::EC2::SecurityGroup', 'DatabaseSecurityGroup');
    const [cloudFront] = resourceNamed('Custom::AWS', 'CloudFrontOriginFacingPrefixList');
    const sg = securityGroupOf;

    expect(ingressFlows()).toEqual(
      [
        `prefix list ${cloudFront} -> ${loadBalancer}:80`,
        `${sg('forum')} -> ${sg('slots')}:${SERVICE_PORT}`,
        `${sg('forum')} -> ${sg('users')}:${SERVICE_PORT}`,
        `${sg('slots')} -> ${sg('users')}:${SERVICE_PORT}`,
        ...SERVICES.map((s) => `${loadBalancer} -> ${sg(s)}:${SERVICE_PORT}`),
        ...SERVICES.map((s) => `${sg(s)} -> ${database}:5432`),
        `${resourceNamed('AWS::EC2::SecurityGroup', 'DatabaseProvisioningSecurityGroup')[0]} -> ${database}:5432`,
      ].sort(),
    );
  });

  it('lets the tasks out on HTTPS, to the database and to the services they call, nothing else', () => {
    for (const service of SERVICES) {
      const [, group] = resourceNamed(
        'AWS::EC2::SecurityGroup',
        `${constructId(service)}SecurityGroup`,
      );

      expect(group.Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({
          CidrIp: '0.0.0.0/0',
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
        }),
      ]);
    }
    const egressTo = (service: Service) =>
      resources('AWS::EC2::SecurityGroupEgress')
        .map(([, rule]) => rule.Properties as Record<string, GetAtt & number>)
        .filter(
          (rule) =>
            (rule.GroupId as unknown as GetAtt)['Fn::GetAtt'][0] === securityGroupOf(service),
        )
        .map(
          (rule) =>
            `${(rule.DestinationSecurityGroupId as unknown as GetAtt)['Fn::GetAtt'][0]}:${rule.FromPort}`,
        )
        .sort();
    const [database] = resourceNamed('AWS::EC2::SecurityGroup', 'DatabaseSecurityGroup');

    expect(egressTo('users')).toEqual([`${database}:5432`]);
    expect(egressTo('slots')).toEqual(
      [`${database}:5432`, `${securityGroupOf('users')}:3000`].sort(),
    );
    expect(egressTo('forum')).toEqual(
      [
        `${database}:5432`,
        `${securityGroupOf('slots')}:3000`,
        `${securityGroupOf('users')}:3000`,
      ].sort(),
    );
  });

  it('routes as routes.ts says: its paths, in its order, each rule to its service', () => {
    expect(listenerRouting()).toEqual(
      routes.routes.map((route, index) => ({
        priority: index + 1,
        paths: [...route.paths],
        forwardsTo: route.target,
      })),
    );
  });

  it('sends what no route serves to users, which answers health checks and 404 problems', () => {
    const [, listener] = resourceNamed('AWS::ElasticLoadBalancingV2::Listener', 'LoadBalancer');

    expect(listener.Properties).toMatchObject({ Port: 80, Protocol: 'HTTP' });
    expect(listener.Properties.DefaultActions).toEqual([
      { Type: 'forward', TargetGroupArn: { Ref: targetGroupOf('users') } },
    ]);
  });

  it('creates each ECS service only after a listener rule forwards to its target group', () => {
    const groupOfRule = new Map(
      resources('AWS::ElasticLoadBalancingV2::ListenerRule').map(([id, rule]) => [
        id,
        JSON.stringify(rule.Properties.Actions),
      ]),
    );
    for (const service of SERVICES) {
      const [, ecsService] = resourceNamed('AWS::ECS::Service', `${constructId(service)}Service`);

      const rules = (ecsService.DependsOn ?? []).filter((id) => groupOfRule.has(id));

      expect(rules.length, service).toBeGreaterThan(0);
      for (const rule of rules) expect(groupOfRule.get(rule)).toContain(targetGroupOf(service));
    }
  });

  it("keeps the load balancer's inbound rules within the quota, CloudFront's prefix list weighing 55", () => {
    const [groupId, group] = resourceNamed('AWS::EC2::SecurityGroup', 'LoadBalancerSecurityGroup');
    const rules: object[] = [
      ...((group.Properties.SecurityGroupIngress as object[] | undefined) ?? []),
      ...resources('AWS::EC2::SecurityGroupIngress')
        .map(([, rule]) => rule.Properties)
        .filter((rule) => (rule.GroupId as GetAtt)['Fn::GetAtt'][0] === groupId),
    ];

    // A rule admitting a managed prefix list counts as the list's weight, not as one rule.
    const weight = rules
      .map((rule) => ('SourcePrefixListId' in rule ? CLOUDFRONT_ORIGIN_FACING_WEIGHT : 1))
      .reduce((sum, each) => sum + each, 0);

    expect(weight).toBeGreaterThanOrEqual(CLOUDFRONT_ORIGIN_FACING_WEIGHT);
    expect(weight).toBeLessThanOrEqual(SECURITY_GROUP_INBOUND_RULES_QUOTA);
  });

  it("keeps the load balancer internal, admitting on port 80 CloudFront's prefix list only", () => {
    const [, loadBalancer] = resourceNamed(
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'LoadBalancer',
    );
    const [groupId, group] = resourceNamed('AWS::EC2::SecurityGroup', 'LoadBalancerSecurityGroup');
    const [lookupId, lookup] = resourceNamed('Custom::AWS', 'CloudFrontOriginFacingPrefixList');
    const toLoadBalancer = resources('AWS::EC2::SecurityGroupIngress')
      .map(([, rule]) => rule.Properties)
      .filter((rule) => (rule.GroupId as GetAtt)['Fn::GetAtt'][0] === groupId);

    expect(loadBalancer.Properties.Scheme).toBe('internal');
    expect(JSON.stringify(loadBalancer.Properties.Subnets)).toMatch(/isolated/);
    expect(JSON.stringify(loadBalancer.Properties.Subnets)).not.toMatch(/public/);
    // CloudFront's VPC origin does not connect from the VPC's range: no CIDR rule at all.
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    expect(toLoadBalancer).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 80,
        ToPort: 80,
        SourcePrefixListId: { 'Fn::GetAtt': [lookupId, 'PrefixLists.0.PrefixListId'] },
      }),
    ]);
    expect(toLoadBalancer.filter((rule) => 'CidrIp' in rule || 'CidrIpv6' in rule)).toEqual([]);
    // The prefix list's id, looked up by name when the stack deploys (synth stays offline).
    expect(JSON.parse(lookup.Properties.Create as string)).toMatchObject({
      service: 'EC2',
      action: 'DescribeManagedPrefixLists',
      parameters: {
        Filters: [
          { Name: 'prefix-list-name', Values: ['com.amazonaws.global.cloudfront.origin-facing'] },
        ],
      },
    });
  });

  it('checks the targets on /healthz, so that a database outage does not replace every task', () => {
    for (const [, group] of resources('AWS::ElasticLoadBalancingV2::TargetGroup')) {
      expect(group.Properties).toMatchObject({
        TargetType: 'ip',
        Port: SERVICE_PORT,
        HealthCheckPath: '/healthz',
      });
    }
  });

  it("checks each app container's health exactly as the Dockerfile's HEALTHCHECK does", () => {
    const { options, command } = dockerfileHealthCheck();

    for (const service of SERVICES) {
      expect(containersOf(service).app.HealthCheck, service).toEqual({
        Command: ['CMD', ...command],
        Interval: seconds(options.interval),
        Timeout: seconds(options.timeout),
        StartPeriod: seconds(options['start-period']),
        Retries: Number(options.retries),
      });
    }
  });

  it('deploys with the circuit breaker: new tasks first, rolled back if they keep failing', () => {
    const services = resources('AWS::ECS::Service');

    expect(services).toHaveLength(SERVICES.length);
    for (const [id, service] of services) {
      expect(service.Properties.DeploymentConfiguration, id).toEqual({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      });
      expect(service.Properties.HealthCheckGracePeriodSeconds, id).toBe(
        HEALTH_CHECK_GRACE_PERIOD.toSeconds(),
      );
    }
  });

  it('scales each service between 1 and 3 tasks on CPU', () => {
    const targets = resources('AWS::ApplicationAutoScaling::ScalableTarget');
    const policies = resources('AWS::ApplicationAutoScaling::ScalingPolicy');

    expect(targets).toHaveLength(SERVICES.length);
    for (const [, target] of targets) {
      expect(target.Properties).toMatchObject({
        MinCapacity: 1,
        MaxCapacity: 3,
        ScalableDimension: 'ecs:service:DesiredCount',
      });
    }
    expect(policies).toHaveLength(SERVICES.length);
    for (const [, policy] of policies) {
      expect(policy.Properties).toMatchObject({
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          PredefinedMetricSpecification: {
            PredefinedMetricType: 'ECSServiceAverageCPUUtilization',
          },
        },
      });
    }
  });

  it('sends every log to a log group kept one week and deleted with the stack', () => {
    const groups = resources('AWS::Logs::LogGroup');

    for (const service of SERVICES) {
      const [group] = resourceNamed('AWS::Logs::LogGroup', `${constructId(service)}Logs`);
      const { app, setup } = containersOf(service);
      for (const container of [app, setup]) {
        expect(container.LogConfiguration).toMatchObject({
          LogDriver: 'awslogs',
          Options: { 'awslogs-group': { Ref: group } },
        });
      }
    }
    for (const [id, group] of groups) {
      expect(group.DeletionPolicy, id).toBe('Delete');
      expect(group.Properties.RetentionInDays, id).toBe(7);
    }
  });

  it('serves the web app from a private bucket through CloudFront with origin access control', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    const [, distribution] = resourceNamed('AWS::CloudFront::Distribution', 'Web');
    const config = distribution.Properties.DistributionConfig as {
      DefaultCacheBehavior: { TargetOriginId: string; ViewerProtocolPolicy: string };
      Origins: Array<{ Id: string; OriginAccessControlId?: GetAtt; VpcOriginConfig?: unknown }>;
    };

    const site = config.Origins.find((o) => o.Id === config.DefaultCacheBehavior.TargetOriginId);

    expect(site?.OriginAccessControlId).toBeDefined();
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:GetObject',
            Principal: { Service: 'cloudfront.amazonaws.com' },
          }),
        ]),
      },
    });
    template.resourceCountIs('Custom::CDKBucketDeployment', 1);
  });

  it('sends /api/* and the other API paths to the load balancer, uncached, all viewer data', () => {
    const [, distribution] = resourceNamed('AWS::CloudFront::Distribution', 'Web');
    const [vpcOrigin, origin] = resourceNamed('AWS::CloudFront::VpcOrigin', 'Web');
    const [loadBalancer] = resourceNamed(
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'LoadBalancer',
    );
    const config = distribution.Properties.DistributionConfig as {
      CacheBehaviors: Array<Record<string, unknown>>;
      Origins: Array<{ Id: string; VpcOriginConfig?: { VpcOriginId: GetAtt } }>;
    };
    const api = config.Origins.find(
      (o) => o.VpcOriginConfig?.VpcOriginId['Fn::GetAtt'][0] === vpcOrigin,
    );

    expect(origin.Properties.VpcOriginEndpointConfig).toMatchObject({
      Arn: { Ref: loadBalancer },
      HTTPPort: 80,
      OriginProtocolPolicy: 'http-only',
    });
    expect(config.CacheBehaviors.map((b) => b.PathPattern)).toEqual(API_PATHS);
    expect(API_PATHS).toContain('/api/*');
    for (const behavior of config.CacheBehaviors) {
      expect(behavior).toMatchObject({
        TargetOriginId: api?.Id,
        // Managed policies: CachingDisabled, AllViewerExceptHostHeader.
        CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
        OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
        AllowedMethods: expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
      });
    }
  });

  it('sends every path of the route table, and the health checks, from CloudFront to the load balancer', () => {
    // A path pattern's wildcard stands for any text: try it with some.
    const examples = [
      ...routes.routes.flatMap((route) =>
        route.paths.map((path) => path.replaceAll('*', 'x/y').replaceAll('?', 'z')),
      ),
      '/healthz',
      '/readyz',
      '/api/this-route-does-not-exist',
    ];

    for (const path of examples) {
      expect(
        API_PATHS.some((pattern) => pathMatches(pattern, path)),
        path,
      ).toBe(true);
    }
  });

  it('outputs the CloudFront URL and the DNS name of the load balancer', () => {
    const [distribution] = resourceNamed('AWS::CloudFront::Distribution', 'Web');
    const [loadBalancer] = resourceNamed(
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'LoadBalancer',
    );

    template.hasOutput('Url', {
      Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution, 'DomainName'] }]] },
    });
    template.hasOutput('LoadBalancerDns', { Value: { 'Fn::GetAtt': [loadBalancer, 'DNSName'] } });
  });

  it('leaves nothing behind on destroy, and says why next to each DESTROY', () => {
    const kept = Object.entries(
      template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>,
    ).filter(([, resource]) =>
      ['Retain', 'Snapshot', 'RetainExceptOnCreate'].includes(resource.DeletionPolicy ?? ''),
    );
    const cdkDir = join(stageDir, 'cdk');
    const uncommented = readdirSync(cdkDir)
      .filter((file) => file.endsWith('.ts'))
      .flatMap((file) => {
        const lines = readFileSync(join(cdkDir, file), 'utf8').split('\n');
        return lines
          .map((text, index) => ({ text, above: lines.slice(Math.max(0, index - 4), index) }))
          .filter(({ text }) => text.includes('RemovalPolicy.DESTROY'))
          .filter(({ above }) => !above.some((line) => /^\s*\/\/ DESTROY:/.test(line)))
          .map(({ text }) => `${file}: ${text.trim()}`);
      });

    expect(kept).toEqual([]);
    expect(uncommented).toEqual([]);
  });

  it('has no unsuppressed cdk-nag AwsSolutions finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  it('has none either in a concrete environment with partition literals (a recommended flag)', () => {
    const { stack: deployed } = synthContainers({
      env: { account: '111122223333', region: 'eu-west-1' },
    });

    expect(nagFindings(deployed)).toEqual([]);
  });
});
