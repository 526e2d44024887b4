import { join } from 'node:path';
import {
  type ContainerService,
  CourseVpc,
  DeployTimeTask,
  LoadBalancerOrigin,
  PostgresDatabase,
  RouteTableRules,
  ServiceCluster,
  signingSeedSecret,
  suppressLoadBalancerFindings,
  WebDistribution,
} from '@course/constructs';
import {
  courseServiceDefaults,
  SERVICE_DOMAIN,
  SERVICE_PORT,
} from '@course/containers/cdk/containers-stack';
import type { RouteTable } from '@course/facade/route-table';
import {
  CfnOutput,
  type CfnResource,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { LOGICAL_IDS } from './logical-ids.ts';
import { nodeFunction } from './node-function.ts';
import { SLOTS_ROUTES } from './slots-routes.ts';

/** The services that stay containers in this stage; slots is now the functions below. */
export type ContainerServiceName = 'users' | 'forum';

// The private DNS domain in which each service is `<service>.<domain>`, and the port every
// service listens on in its container: stage 02's.
export { SERVICE_DOMAIN, SERVICE_PORT };

/** The paths CloudFront sends to the slots HTTP API; matched before `LOAD_BALANCER_PATHS`. */
export const SLOTS_API_PATHS = ['/api/slots/*'];

/** The paths CloudFront sends to the load balancer (stage 02's); every other path is the site. */
export const LOAD_BALANCER_PATHS = ['/api/*', '/.well-known/*', '/healthz', '/readyz'];

/** The role the slots functions log in as, with an IAM token (src/database-iam-access.ts). */
export const SLOTS_IAM_ROLE = 'slots_lambda';

/**
 * The HTTP API's stage throttling, a backstop for the whole API and not a per-client limit:
 * ten clients at the edge's per-client limit (`EDGE_RATE_LIMIT`, 10 requests a second each) fit
 * under it, so a single client meets the web ACL's 429 first. It also caps what reaches the API
 * through its own execute-api URL, which bypasses CloudFront and the web ACL.
 */
export const STAGE_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;

/**
 * The HTTP API's access log line, one JSON object per request, of HTTP API variables only (API
 * Gateway DG, "Customize HTTP API access logs"): CDK's `jsonWithStandardFields()` is the REST
 * API's, whose `$context.resourcePath` an HTTP API does not have. The route key says which route
 * (or `$default`) matched; the integration's error and latency tell a function that failed or
 * timed out from one that answered an error itself. Every value is quoted: API Gateway writes a
 * missing one as `-`, which would not be JSON bare.
 */
export const SLOTS_API_ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integration.latency',
  integrationError: '$context.integrationErrorMessage',
} as const;

const functionsDir = join(import.meta.dirname, '..', 'src', 'slots', 'functions');

/** The slots functions behind the HTTP API (and the forum's ranks lookup). */
export type SlotsApiFunctionName = 'write' | 'read' | 'ranks';

/** Where a slots function's code is, and what it needs besides the database settings. */
export interface SlotsFunctionSource {
  /** The handler's source file (it exports `handler`). */
  entry: string;
  /** Variables besides the stage's, the database's and (API functions) the JWKS's. @default none */
  environment?: Record<string, string>;
}

/** A slots function that is not behind the HTTP API: a consumer, a scheduled job. */
export interface SlotsJobFunctionProps extends SlotsFunctionSource {
  description: string;
  /** @default 10 seconds (node-function.ts) */
  timeout?: Duration;
}

export interface ServerlessTopologyProps {
  /** The stage's number, as its processes report it (`STAGE`) and its descriptions name it. */
  stage: string;
  /** Each slots function's code: write (the spin), read (the reads and `$default`), ranks. */
  slotsFunctions: Record<SlotsApiFunctionName, SlotsFunctionSource>;
  /** The forum container's variables besides stage 03's. @default none */
  forumEnvironment?: Record<string, string>;
  /** Who serves which paths on the load balancer: stage 02's table without its slots route. */
  routes: RouteTable<ContainerServiceName>;
  /** Each container service's image (stage 02's users, this stage's forum; see images.ts). */
  image: (scope: Construct, service: ContainerServiceName) => ecs.ContainerImage;
  /** The image that runs stage 02's database setup (migrations) for slots (images.ts). */
  slotsMigrationsImage: (scope: Construct) => ecs.ContainerImage;
  /**
   * The one-off database provisioning's image, with stage 02's command and this stage's, which
   * gives the functions' role its rights (images.ts).
   */
  databaseProvisioning: {
    image: (scope: Construct) => ecs.ContainerImage;
    command: string[];
    iamAccessCommand: string[];
  };
  /** The migrations' command in the slots migrations image (stage 02's database setup). */
  databaseSetupCommand: string[];
  /** The web app's files (stage 02's web-app.ts). */
  site: s3deploy.ISource;
  /**
   * The ARN of the CLOUDFRONT web ACL with the per-client rate limit (edge-protection-stack.ts).
   * @default none: no per-client limit at the edge; only the stage throttling
   */
  webAclArn?: string;
  /**
   * Reserved concurrency of each slots API function (write, read, ranks), a whole number of at
   * least 1, which bounds the database connections they can open (one per execution environment:
   * three functions × this). Off by default: Lambda lets an account reserve concurrency only as
   * long as at least 100 stay unreserved, so an account whose concurrency quota is below 101 (new
   * accounts may have 10) can reserve none, and N for each of the three functions needs a quota
   * of at least 3 × N + 100 (115 for 5). Check yours with `aws lambda get-account-settings`
   * (`AccountLimit.ConcurrentExecutions`).
   * @default none: the functions share the account's unreserved concurrency
   */
  reservedConcurrency?: number;
  /**
   * An RDS Proxy between the functions and the database, with end-to-end IAM authentication: it
   * pools the functions' connections, so a burst of new execution environments does not exhaust
   * the server's. It bills per vCPU of the instance, with a minimum of 2 vCPUs: about
   * $0.015 × 2 = $0.03 an hour in us-east-1, more than the db.t4g.micro itself ($0.016).
   * @default false
   */
  rdsProxy?: boolean;
  /**
   * The availability zones, by name: two or more in which CloudFront offers VPC origins.
   * @default the region's first two
   */
  availabilityZones?: readonly string[];
}

export interface ServerlessStackProps
  extends StackProps,
    Omit<ServerlessTopologyProps, 'stage' | 'slotsFunctions' | 'forumEnvironment'> {}

/**
 * Stage 03's topology, built into `scope` (a stack) itself, with no construct of its own in
 * between, so its resources keep the logical ids they had as the body of stage 03's stack: users
 * and forum as stage 02's ECS services behind an internal load balancer, slots as Lambda functions
 * behind an API Gateway HTTP API, one RDS server, and CloudFront in front of all of it (the slots
 * paths to the HTTP API, the rest to the load balancer, the web app from S3). Stage 03's stack is
 * this and its outputs; a later stage gives its own function code, environment and forum
 * variables, and adds what it needs with `addSlotsFunction` and the members below.
 */
export class ServerlessTopology {
  readonly vpc: ec2.Vpc;
  readonly database: PostgresDatabase;
  readonly users: ContainerService;
  readonly forum: ContainerService;
  /** The slots functions' group: PostgreSQL to the database (or proxy), the JWKS from users. */
  readonly functionsSecurityGroup: ec2.SecurityGroup;
  readonly write: NodejsFunction;
  readonly read: NodejsFunction;
  readonly ranks: NodejsFunction;
  readonly api: apigwv2.HttpApi;
  readonly web: WebDistribution;
  private readonly proxy: rds.DatabaseProxy | undefined;
  private readonly iamAccess: DeployTimeTask;
  /** What an API function verifies tokens against, and the concurrency it reserves. */
  private readonly apiFunctionSettings: {
    tokenVerifier: Record<string, string>;
    reservedConcurrentExecutions: number | undefined;
  };
  /** What every slots function gets: the stage, and the database as the functions' IAM role. */
  private readonly slotsEnvironment: {
    stage: Record<string, string>;
    database: Record<string, string>;
  };

  constructor(
    private readonly scope: Construct,
    props: ServerlessTopologyProps,
  ) {
    const { reservedConcurrency, stage } = props;
    if (
      reservedConcurrency !== undefined &&
      !(Number.isInteger(reservedConcurrency) && reservedConcurrency >= 1)
    ) {
      // Lambda accepts 0, but it throttles every invocation: the slots API would serve nothing.
      throw new Error(
        `reservedConcurrency: give a whole number of at least 1, not ${reservedConcurrency}`,
      );
    }

    // As in stage 02: no NAT gateway and no interface endpoints. The tasks run in the public
    // subnets with public IPs; the database, the load balancer and now the slots functions live
    // in the isolated subnets, which have no route out at all.
    const { vpc } = new CourseVpc(scope, 'Network', { availabilityZones: props.availabilityZones });
    this.vpc = vpc;

    // One small server for the three databases. IAM authentication lets the functions log in with
    // a token they sign themselves (no Secrets Manager call, so no endpoint and no NAT); the
    // services and the migrations keep their passwords.
    const database = new PostgresDatabase(scope, 'Database', {
      vpc,
      databaseName: 'course_admin',
      username: 'course_admin',
      iamAuthentication: true,
    });
    this.database = database;
    pinLogicalId(database.instance, LOGICAL_IDS.database);
    const secretOf = (name: 'users' | 'forum' | 'slots') =>
      ecs.Secret.fromSecretsManager(database.addUser(name));
    const credentials = {
      users: secretOf('users'),
      forum: secretOf('forum'),
      slots: secretOf('slots'),
    };
    const jwtSeed = signingSeedSecret(scope, 'JwtSigningSeed', { signer: 'users' });

    // Stage 02's cluster and service discovery, with stage 02's defaults for every service.
    const cluster = new ServiceCluster<ContainerServiceName>(scope, {
      vpc,
      domain: SERVICE_DOMAIN,
      description: `Stage ${stage} service discovery: <service>.course.internal`,
      database,
      serviceDefaults: courseServiceDefaults(stage, credentials),
    });

    // Before anything uses the database (stage 02's DeployTimeTask, for stage 02's reasons: only
    // a task in the public subnets reaches both Secrets Manager and RDS here), stage 02's program
    // creates every service's role and database.
    const provisioningImage = props.databaseProvisioning.image(scope);
    const provisioning = new DeployTimeTask(scope, 'DatabaseProvisioning', {
      cluster: cluster.cluster,
      name: 'database-provisioning',
      image: provisioningImage,
      command: props.databaseProvisioning.command,
      secrets: {
        DATABASE_ADMIN_SECRET: ecs.Secret.fromSecretsManager(database.secret),
        USERS_DATABASE_SECRET: credentials.users,
        FORUM_DATABASE_SECRET: credentials.forum,
        SLOTS_DATABASE_SECRET: credentials.slots,
      },
    });
    database.allowFrom(provisioning.securityGroup);
    provisioning.runsAfter(database);

    // Slots' migrations have no service to run them any more: a one-off task runs stage 02's
    // database setup for slots after the provisioning, as the slots role with its own password
    // (the functions' role cannot migrate: it may not create tables, and it has no password).
    const slotsMigrations = new DeployTimeTask(scope, 'SlotsMigrations', {
      cluster: cluster.cluster,
      name: 'slots-migrations',
      image: props.slotsMigrationsImage(scope),
      command: props.databaseSetupCommand,
      environment: { SERVICE: 'slots' },
      secrets: { DATABASE_SECRET: credentials.slots },
    });
    database.allowFrom(slotsMigrations.securityGroup);
    slotsMigrations.runsAfter(provisioning);

    // Then this stage's program creates the functions' role, granted rds_iam and only the rights
    // to read and write slots' rows. After the migrations, so that the migration history they
    // create on a first deploy exists, and it can take the functions' rights on it away.
    const iamAccess = new DeployTimeTask(scope, 'SlotsIamAccess', {
      cluster: cluster.cluster,
      name: 'database-iam-access',
      image: provisioningImage,
      command: props.databaseProvisioning.iamAccessCommand,
      environment: {
        IAM_ROLE: SLOTS_IAM_ROLE,
        IAM_DATABASE: 'slots',
        IAM_DATABASE_OWNER: 'slots',
        // Behind the proxy the server's sessions are the proxy's pooled connections, not the
        // functions': PostgreSQL advises no idle session timeout under connection-pooling
        // software, which need not expect the server to close them. The proxy ends idle
        // client connections itself (its idle client timeout, 30 minutes by default).
        ...(props.rdsProxy ? { IAM_ROLE_IDLE_SESSION_TIMEOUT: '0s' } : {}),
      },
      secrets: { DATABASE_ADMIN_SECRET: ecs.Secret.fromSecretsManager(database.secret) },
    });
    database.allowFrom(iamAccess.securityGroup);
    iamAccess.runsAfter(slotsMigrations);
    this.iamAccess = iamAccess;

    // Users and forum: stage 02's services, unchanged but for the forum's ranks, which now come
    // from the ranks function through the Lambda Invoke API.
    // Two services × 3 tasks × 3 connections (stage 02's DB_POOL_MAX) plus the functions' fit a
    // db.t4g.micro's ~80.
    cluster.startsAfter(provisioning);
    const addService = (
      name: ContainerServiceName,
      environment: Record<string, string>,
      secrets: Record<string, ecs.Secret> = {},
    ): ContainerService =>
      cluster.addService({ name, image: props.image(scope, name), environment, secrets });
    const users = addService(
      'users',
      {},
      { JWT_SIGNING_SEED: ecs.Secret.fromSecretsManager(jwtSeed) },
    );
    this.users = users;
    const jwksUrl = `${users.url}/.well-known/jwks.json`;

    // The slots functions, in the isolated subnets: they reach the database and the users
    // service's public keys (Cloud Map's private DNS name resolves inside the VPC, and a function
    // in a VPC uses the VPC's resolver) and nothing else; the security group lets out only those.
    const functionsSecurityGroup = new ec2.SecurityGroup(scope, 'SlotsFunctionsSecurityGroup', {
      vpc,
      description: 'Slots functions: PostgreSQL to the database, the JWKS from users; nothing in',
      allowAllOutbound: false,
    });
    this.functionsSecurityGroup = functionsSecurityGroup;
    users.admit(functionsSecurityGroup, 'slots functions -> users: the public keys (JWKS)');
    const proxy = props.rdsProxy
      ? addProxy(scope, database, vpc, functionsSecurityGroup)
      : undefined;
    this.proxy = proxy;
    if (proxy === undefined) database.allowFrom(functionsSecurityGroup);
    this.slotsEnvironment = {
      stage: { STAGE: stage, LOG_LEVEL: 'info' },
      database: {
        DATABASE_HOST: proxy?.endpoint ?? database.instance.dbInstanceEndpointAddress,
        DATABASE_PORT: proxy === undefined ? database.instance.dbInstanceEndpointPort : '5432',
        DATABASE_NAME: 'slots',
        DATABASE_USER: SLOTS_IAM_ROLE,
        // Node.js 20 and later runtimes load no extra CAs by default; this bundle holds the RDS ones.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      },
    };
    // The API functions verify the players' tokens against the users service's public keys.
    const verifier = { TOKEN_ISSUER: 'users', JWKS_URL: jwksUrl };
    this.apiFunctionSettings = {
      tokenVerifier: verifier,
      reservedConcurrentExecutions: reservedConcurrency,
    };
    const apiFunction = (
      id: string,
      name: SlotsApiFunctionName,
      description: string,
      timeout?: Duration,
    ): NodejsFunction => {
      const source = props.slotsFunctions[name];
      return this.addFunction(id, {
        entry: source.entry,
        description,
        timeout,
        environment: source.environment,
        ...this.apiFunctionSettings,
      });
    };
    // Split by what they do: the write function's errors and duration are the spins', the read
    // function's the pages'; each scales and can be limited on its own.
    const write = apiFunction('SlotsWrite', 'write', 'Slots: POST /api/slots/spins');
    const read = apiFunction(
      'SlotsRead',
      'read',
      'Slots: the reads, and a problem+json 404 for any other path',
    );
    // The forum waits for it on every thread page: a short timeout, as the forum's own deadline
    // is shorter still and its breaker takes over.
    const ranks = apiFunction(
      'SlotsRanks',
      'ranks',
      'Slots: leaderboard ranks for the forum (Invoke only, never routed)',
      Duration.seconds(5),
    );
    pinLogicalId(write, LOGICAL_IDS.writeFunction);
    pinLogicalId(read, LOGICAL_IDS.readFunction);
    pinLogicalId(ranks, LOGICAL_IDS.ranksFunction);
    this.write = write;
    this.read = read;
    this.ranks = ranks;

    // The forum invokes the ranks function over the Lambda API's public HTTPS endpoint, from its
    // public subnet through the internet gateway (its security group lets HTTPS out), as its
    // image pulls and logs already do: no endpoint needed.
    const forum = addService('forum', {
      JWKS_URL: jwksUrl,
      RANKS_FUNCTION_NAME: ranks.functionName,
      ...props.forumEnvironment,
    });
    this.forum = forum;
    ranks.grantInvoke(forum.taskDefinition.taskRole);
    suppressInvokeWildcard(forum.taskDefinition.taskRole, LOGICAL_IDS.ranksFunction);
    users.admit(forum, 'forum -> users: the public keys (JWKS)');

    // The slots HTTP API: the contract's slots routes, each to its function, and `$default`
    // (any other path or method) to the read function, which answers the contract's 404 problem
    // rather than API Gateway's own `{"message":"Not Found"}`.
    const integrations: Record<'write' | 'read', HttpLambdaIntegration> = {
      write: new HttpLambdaIntegration('WriteIntegration', write),
      read: new HttpLambdaIntegration('ReadIntegration', read),
    };
    const api = new apigwv2.HttpApi(scope, 'SlotsApi', {
      description: `Stage ${stage}: the slots API`,
      defaultIntegration: integrations.read,
      createDefaultStage: false,
    });
    this.api = api;
    pinLogicalId(api, LOGICAL_IDS.slotsApi);
    for (const route of SLOTS_ROUTES) {
      api.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration: integrations[route.fn],
      });
    }
    // The stage: throttling as a backstop only (see STAGE_THROTTLE), and access logs, which cost
    // only what is logged (CloudWatch Logs ingestion, $0.50 per GB).
    const accessLogs = new logs.LogGroup(scope, 'SlotsApiAccessLogs', {
      retention: logs.RetentionDays.ONE_WEEK,
      // DESTROY: a course lab must leave nothing behind (and nothing billed) after `cdk destroy`.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new apigwv2.HttpStage(scope, 'SlotsApiStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: STAGE_THROTTLE,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigateway.AccessLogFormat.custom(JSON.stringify(SLOTS_API_ACCESS_LOG_FIELDS)),
      },
    });
    // After the routes: a suppression covers the children that exist when it is added.
    suppressNoAuthorizer(api);

    // The load balancer, internal, reached by CloudFront only through its VPC origin (stage 02),
    // with stage 02's route table minus slots; what no route serves goes to users (a 404 problem).
    const loadBalancer = new elbv2.ApplicationLoadBalancer(scope, 'LoadBalancer', {
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
    const rules = new RouteTableRules(scope, 'Routes', {
      listener,
      table: props.routes,
      defaultTarget: 'users',
      targetGroups: { users: users.targetGroup, forum: forum.targetGroup },
    });
    for (const [name, service] of [
      ['users', users],
      ['forum', forum],
    ] as const) {
      service.admit(loadBalancer, 'HTTP from the load balancer');
      service.service.node.addDependency(rules.routesTo(name));
    }

    // One domain for everything: `/api/slots/*` to the HTTP API (over HTTPS to its execute-api
    // domain, with every viewer header but Host, which API Gateway needs to be its own), the
    // other API paths to the load balancer, the rest to the site on S3; the web ACL, when given,
    // in front of it all.
    this.web = new WebDistribution(scope, 'Web', {
      site: props.site,
      api: {
        origin: new LoadBalancerOrigin(scope, 'Origin', { loadBalancer }).origin,
        paths: LOAD_BALANCER_PATHS,
      },
      otherApis: [
        {
          origin: new origins.HttpOrigin(Fn.select(2, Fn.split('/', api.apiEndpoint)), {
            protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
          }),
          paths: SLOTS_API_PATHS,
        },
      ],
      webAclArn: props.webAclArn,
    });

    new CfnOutput(scope, 'Url', { value: this.web.url, description: 'The stage, via CloudFront' });
    new CfnOutput(scope, 'SlotsApiUrl', {
      value: api.apiEndpoint,
      description:
        'The HTTP API itself: bypasses CloudFront and its web ACL (stage throttling only)',
    });
  }

  /**
   * A slots function that no route serves (a queue's consumer, a scheduled job), placed and
   * connected as the API functions are: in the isolated subnets, in their security group, logged
   * in to the database as their IAM role, started only once that role has its rights. It gets
   * the stage and the database settings, and `environment`; no reserved concurrency.
   */
  addSlotsFunction(id: string, props: SlotsJobFunctionProps): NodejsFunction {
    return this.addFunction(id, props);
  }

  /**
   * A slots function behind the HTTP API, serving `routes` (each an operation of the contract):
   * placed, connected and configured as the write and read functions are, so it verifies the
   * players' tokens and reserves their concurrency. It gets the stage, the database settings, the
   * token verifier's and `environment`.
   */
  addApiFunction(
    id: string,
    props: SlotsJobFunctionProps,
    routes: ReadonlyArray<{ method: 'GET' | 'POST'; path: string }>,
  ): NodejsFunction {
    const fn = this.addFunction(id, { ...props, ...this.apiFunctionSettings });
    const integration = new HttpLambdaIntegration(`${id}Integration`, fn);
    for (const route of routes) {
      const added = this.api.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration,
      });
      // The API's own suppression covers only the routes that existed when it was added.
      for (const addedRoute of added) suppressNoAuthorizer(addedRoute);
    }
    return fn;
  }

  /**
   * A function of the stage that needs neither the database nor anything else in the VPC, so it
   * runs outside it and reaches AWS's public endpoints as any function without a VPC
   * configuration does. It gets the stage's variables (`STAGE`, `LOG_LEVEL`) and `environment`.
   */
  addFunctionOutsideVpc(id: string, props: SlotsJobFunctionProps): NodejsFunction {
    return nodeFunction(this.scope, id, {
      entry: props.entry,
      description: props.description,
      timeout: props.timeout,
      environment: { ...this.slotsEnvironment.stage, ...props.environment },
    });
  }

  private addFunction(
    id: string,
    props: SlotsJobFunctionProps & {
      tokenVerifier?: Record<string, string>;
      reservedConcurrentExecutions?: number;
    },
  ): NodejsFunction {
    const fn = nodeFunction(this.scope, id, {
      entry: props.entry,
      description: props.description,
      timeout: props.timeout,
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroup: this.functionsSecurityGroup,
      environment: {
        ...this.slotsEnvironment.stage,
        ...props.tokenVerifier,
        ...this.slotsEnvironment.database,
        ...props.environment,
      },
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    });
    // rds-db:connect as the functions' role only, on this server (or proxy) only.
    if (this.proxy === undefined) this.database.instance.grantConnect(fn, SLOTS_IAM_ROLE);
    else this.proxy.grantConnect(fn, SLOTS_IAM_ROLE);
    // The functions connect only once the tables, the role and its rights exist.
    fn.node.addDependency(this.iamAccess);
    return fn;
  }
}

/**
 * Stage 03 on AWS: its topology (above), with the function names the SDK invoke lab and the
 * forum's lab use as outputs.
 */
export class ServerlessStack extends Stack {
  constructor(scope: Construct, id: string, props: ServerlessStackProps) {
    super(scope, id, props);
    const topology = new ServerlessTopology(this, {
      ...props,
      stage: '03',
      slotsFunctions: {
        write: { entry: join(functionsDir, 'write.ts') },
        read: { entry: join(functionsDir, 'read.ts') },
        ranks: { entry: join(functionsDir, 'ranks.ts') },
      },
    });
    new CfnOutput(this, 'SpinFunctionName', {
      value: topology.write.functionName,
      description: 'For the SDK invoke lab',
    });
    new CfnOutput(this, 'RanksFunctionName', { value: topology.ranks.functionName });
  }
}

/**
 * An RDS Proxy with end-to-end IAM authentication, which only the functions may reach: the
 * functions sign a token for the proxy, and the proxy signs its own for the database, as its
 * role, for the same database user. So its role needs `rds-db:connect` on the instance for that
 * user; CDK's default role has a policy only for secrets, and there are none here.
 */
function addProxy(
  scope: Construct,
  database: PostgresDatabase,
  vpc: ec2.IVpc,
  functions: ec2.SecurityGroup,
): rds.DatabaseProxy {
  const securityGroup = new ec2.SecurityGroup(scope, 'DatabaseProxySecurityGroup', {
    vpc,
    description: 'RDS Proxy: 5432 from the slots functions, 5432 to the database',
    allowAllOutbound: false,
  });
  const role = new iam.Role(scope, 'DatabaseProxyRole', {
    assumedBy: new iam.ServicePrincipal('rds.amazonaws.com'),
    description: 'RDS Proxy: logs in to the database as the slots functions, with IAM',
  });
  database.instance.grantConnect(role, SLOTS_IAM_ROLE);
  const proxy = database.instance.addProxy('DatabaseProxy', {
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    securityGroups: [securityGroup],
    role,
    defaultAuthScheme: rds.DefaultAuthScheme.IAM_AUTH,
    requireTLS: true,
  });
  database.allowFrom(securityGroup);
  securityGroup.addIngressRule(functions, ec2.Port.tcp(5432), 'PostgreSQL from the functions');
  functions.addEgressRule(securityGroup, ec2.Port.tcp(5432), 'PostgreSQL to the proxy');
  return proxy;
}

/** Gives a construct's resource the logical id logical-ids.ts names. */
export function pinLogicalId(construct: Construct, logicalId: string): void {
  (construct.node.defaultChild as CfnResource).overrideLogicalId(logicalId);
}

/** The slots routes have no API Gateway authorizer: the functions verify the tokens. */
function suppressNoAuthorizer(construct: Construct): void {
  NagSuppressions.addResourceSuppressions(
    construct,
    [
      {
        id: 'AwsSolutions-APIG4',
        reason:
          "The functions verify the bearer token themselves against the users service's " +
          "public keys, as every service of the course does, and answer the contract's 401 " +
          'problem; an API Gateway authorizer would answer its own JSON instead, and the ' +
          'machine and leaderboard are public.',
      },
    ],
    true,
  );
}

/** `grantInvoke` allows the function and its versions (`<arn>:*`): the only wildcard it adds. */
function suppressInvokeWildcard(role: Construct, logicalId: string): void {
  NagSuppressions.addResourceSuppressions(
    role,
    [
      {
        id: 'AwsSolutions-IAM5',
        appliesTo: [`Resource::<${logicalId}.Arn>:*`],
        reason:
          'lambda:InvokeFunction on the ranks function and its versions and aliases, as ' +
          '`grantInvoke` writes it; no other function.',
      },
    ],
    true,
  );
}
