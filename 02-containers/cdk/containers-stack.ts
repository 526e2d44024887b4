import {
  type ContainerService,
  CourseVpc,
  DeployTimeTask,
  LoadBalancerOrigin,
  PostgresDatabase,
  RouteTableRules,
  ServiceCluster,
  type ServiceDefaults,
  signingSeedSecret,
  suppressLoadBalancerFindings,
  WebDistribution,
} from '@course/constructs';
import type { RouteTable } from '@course/facade/route-table';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { provisioningVariablesOf, SERVICES } from '../src/services.ts';
import {
  CONTAINER_HEALTH_CHECK,
  DATABASE_PROVISIONING_COMMAND,
  DATABASE_SETUP_COMMAND,
  HEALTH_CHECK_GRACE_PERIOD,
  type Service,
} from './images.ts';

/** The private DNS domain in which each service is `<service>.<domain>`. */
export const SERVICE_DOMAIN = 'course.internal';

/** The port every service listens on in its container. */
export const SERVICE_PORT = 3000;

/**
 * The paths CloudFront sends to the load balancer; every other path is the web app on S3.
 * They cover every path of the route table, and the health checks.
 */
export const API_PATHS = ['/api/*', '/.well-known/*', '/healthz', '/readyz'];

/**
 * Where the paths that no route of routes.ts serves go. Locally the gateway answers them itself:
 * its health checks, and a 404 problem. On AWS there is no gateway process, and a load balancer's
 * own answer can be neither application/problem+json nor carry an X-Request-Id, so the
 * listener's default action sends them to the users service, which answers /healthz, /readyz,
 * and a 404 problem for anything else. (`/internal/*` never gets here from the internet:
 * CloudFront sends only the API paths to the load balancer, and users serves no internal path.)
 */
const UNROUTED_TARGET: Service = 'users';

export interface ContainersStackProps extends StackProps {
  /** Who serves which paths: routes.ts, the table the local gateway routes with. */
  routes: RouteTable<Service>;
  /** Each service's container image, built into `scope`'s app (see images.ts). */
  image: (scope: Construct, service: Service) => ecs.ContainerImage;
  /** The image of the one-off task that creates the services' roles and databases (images.ts). */
  databaseProvisioningImage: (scope: Construct) => ecs.ContainerImage;
  /** The web app's files (see web-app.ts). */
  site: s3deploy.ISource;
  /**
   * The availability zones, by name: two or more in which CloudFront offers VPC origins.
   * @default the region's first two
   */
  availabilityZones?: readonly string[];
}

/**
 * Stage 02 on AWS: users, forum and slots as three ECS Fargate services, each with a database
 * of its own on one RDS server, found by each other through Cloud Map, and reached from the
 * internet only through CloudFront, which also serves the web app from S3.
 */
export class ContainersStack extends Stack {
  constructor(scope: Construct, id: string, props: ContainersStackProps) {
    super(scope, id, props);

    // No NAT gateway (about $0.045 an hour plus data), and no interface endpoints either (ECR
    // api and dkr, Logs, Secrets Manager: about $0.01 an hour each per AZ, so $0.08 for two
    // AZs): the tasks run in the public subnets with public IPs, and their security groups let
    // them out on HTTPS only. The database and the load balancer live in the isolated subnets.
    const { vpc } = new CourseVpc(this, 'Network', {
      availabilityZones: props.availabilityZones,
    });

    // One small server, a database and a role per service: each service's secret opens its
    // own database only. The master credentials are for the provisioning task below, and no other.
    const database = new PostgresDatabase(this, 'Database', {
      vpc,
      databaseName: 'course_admin',
      username: 'course_admin',
    });
    const credentials = Object.fromEntries(
      SERVICES.map((name) => [name, ecs.Secret.fromSecretsManager(database.addUser(name))]),
    ) as Record<Service, ecs.Secret>;

    // Every users task derives the same JWT signing key from this secret, so tokens survive
    // a task replacement.
    const jwtSeed = signingSeedSecret(this, 'JwtSigningSeed', { signer: 'users' });

    // The cluster is only a namespace for the services; Fargate runs the tasks. Cloud Map's
    // private DNS is how the services find each other: <service>.course.internal.
    const cluster = new ServiceCluster<Service>(this, {
      vpc,
      domain: SERVICE_DOMAIN,
      description: 'Stage 02 service discovery: <service>.course.internal',
      database,
      serviceDefaults: courseServiceDefaults('02', credentials),
    });

    // The services' roles and databases, created once per deploy, before any service starts, by
    // a one-off Fargate task: the only task definition that references the master secret. A
    // service's own task then holds only its own secret, which owns its database: enough to
    // migrate it, and nothing else on the server. Where it runs follows from this VPC, which has
    // neither a NAT gateway nor interface endpoints: a Lambda function in the isolated subnets
    // would reach RDS but not Secrets Manager (that takes an interface endpoint, about $0.01 an
    // hour per AZ, ~$7 a month, plus data), and one outside the VPC reaches Secrets Manager but not
    // RDS. A task in the public subnets with a public IP reaches both, like the services' tasks.
    // It runs for a minute or so per deploy that changes it: 0.25 vCPU and 0.5 GB of Fargate
    // (ARM) for a minute is well under $0.001, plus a few Lambda and Step Functions calls.
    // (CloudFormation cannot hand the password to a custom resource itself: dynamic references to
    // Secrets Manager are not resolved in custom resources.)
    const provisioning = new DeployTimeTask(this, 'DatabaseProvisioning', {
      cluster: cluster.cluster,
      name: 'database-provisioning',
      image: props.databaseProvisioningImage(this),
      command: DATABASE_PROVISIONING_COMMAND,
      secrets: {
        DATABASE_ADMIN_SECRET: ecs.Secret.fromSecretsManager(database.secret),
        ...Object.fromEntries(
          SERVICES.map((name) => [provisioningVariablesOf(name).secret, credentials[name]]),
        ),
      },
    });
    database.allowFrom(provisioning.securityGroup);
    // Not before the server, and the rule that lets the task in, exist.
    provisioning.runsAfter(database);

    // Each service's first task migrates as its role, in its database: both must exist by then.
    cluster.startsAfter(provisioning);
    const addService = (
      name: Service,
      environment: Record<string, string>,
      secrets: Record<string, ecs.Secret> = {},
    ): ContainerService =>
      cluster.addService({ name, image: props.image(this, name), environment, secrets });
    const users = addService(
      'users',
      {},
      { JWT_SIGNING_SEED: ecs.Secret.fromSecretsManager(jwtSeed) },
    );
    const jwksUrl = `${users.url}/.well-known/jwks.json`;
    const slots = addService('slots', { JWKS_URL: jwksUrl });
    const forum = addService('forum', { JWKS_URL: jwksUrl, SLOTS_URL: slots.url });
    const services: Record<Service, ContainerService> = { users, forum, slots };

    // The only calls between services: the public keys from users, the ranks from slots.
    users.admit(forum, 'forum -> users: the public keys (JWKS)');
    users.admit(slots, 'slots -> users: the public keys (JWKS)');
    slots.admit(forum, 'forum -> slots: leaderboard ranks for thread pages');

    // The load balancer is internal, in the isolated subnets: CloudFront reaches it through a
    // VPC origin, whose network interfaces CloudFront places in this VPC, and nothing on the
    // internet can reach it at all. This needs no secret header that every listener rule would
    // check (and that could leak). Its one inbound rule admits CloudFront's origin-facing prefix
    // list, looked up at deploy time (see LoadBalancerOrigin): the VPC origin's interfaces sit in
    // this VPC's subnets, but the requests reach the load balancer from CloudFront's origin-facing
    // addresses, not from the VPC's range, so a rule for the VPC's CIDR would time them all out.
    const loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      internetFacing: false,
    });
    suppressLoadBalancerFindings(loadBalancer);
    const listener = loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
    });

    // routes.ts → listener rules; what no route serves → users (see UNROUTED_TARGET). A service is
    // created only once a rule forwards to its target group: ECS refuses a group in no use yet.
    const rules = new RouteTableRules(this, 'Routes', {
      listener,
      table: props.routes,
      defaultTarget: UNROUTED_TARGET,
      targetGroups: {
        users: users.targetGroup,
        forum: forum.targetGroup,
        slots: slots.targetGroup,
      },
    });
    for (const [name, service] of Object.entries(services) as Array<[Service, ContainerService]>) {
      service.admit(loadBalancer, 'HTTP from the load balancer');
      service.service.node.addDependency(rules.routesTo(name));
    }

    // The web app from S3, the API from the load balancer: one domain, so no CORS, and HTTPS
    // with CloudFront's certificate, although the load balancer only speaks HTTP inside the VPC.
    const web = new WebDistribution(this, 'Web', {
      site: props.site,
      api: {
        origin: new LoadBalancerOrigin(this, 'Origin', { loadBalancer }).origin,
        paths: API_PATHS,
      },
    });

    // What a learner opens in the browser and gives to `pnpm verify 02 --base-url`.
    new CfnOutput(this, 'Url', { value: web.url, description: 'The stage, via CloudFront' });
    new CfnOutput(this, 'LoadBalancerDns', {
      value: loadBalancer.loadBalancerDnsName,
      description: 'The internal load balancer: reachable from inside the VPC only',
    });
  }
}

/**
 * What each service of this stage gets (stage 03 runs users and forum the same way): the
 * environment every service reads; its own database secret, for the app and for a setup step
 * that applies its migrations with those same credentials before the app starts; the health
 * checks.
 */
export function courseServiceDefaults<S extends Service>(
  stage: string,
  credentials: Record<S, ecs.Secret>,
): (name: S) => ServiceDefaults {
  return (name) => ({
    port: SERVICE_PORT,
    environment: {
      PORT: String(SERVICE_PORT),
      // Listen on the task's network interface, not on loopback.
      HOST: '0.0.0.0',
      STAGE: stage,
      // Two proxies stand in front: CloudFront adds the viewer's address to
      // X-Forwarded-For, the load balancer adds CloudFront's. Believe exactly those two.
      TRUST_PROXY: '2',
      TOKEN_ISSUER: 'users',
      // The connection budget: a db.t4g.micro takes about 80 connections. 3 services × 3
      // tasks × 3 = 27, twice that while a deployment runs old and new tasks side by side.
      DB_POOL_MAX: '3',
    },
    secrets: { DATABASE_SECRET: credentials[name] },
    setup: {
      command: DATABASE_SETUP_COMMAND,
      environment: { SERVICE: name },
      secrets: { DATABASE_SECRET: credentials[name] },
    },
    healthCheck: CONTAINER_HEALTH_CHECK,
    healthCheckGracePeriod: HEALTH_CHECK_GRACE_PERIOD,
  });
}
