import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { suppressTaskDefinitionFindings } from './nag.ts';

/** A one-shot step that runs in the service's own image before each of its app containers. */
export interface ContainerSetupStep {
  /** Replaces the image's command, e.g. `['node', 'setup.mjs']`. */
  command: string[];
  /** @default none */
  environment?: Record<string, string>;
  /** Read from Secrets Manager when the task starts. @default none */
  secrets?: Record<string, ecs.Secret>;
}

export interface ContainerServiceProps {
  /** The cluster, whose VPC the service runs in (its public subnets). */
  cluster: ecs.ICluster;
  /**
   * The service's name: its Cloud Map name (`<name>.<namespace>`), its container's name and
   * the prefix of its log streams.
   */
  name: string;
  /** The image of the app container, built for linux/arm64 (and of the setup step). */
  image: ecs.ContainerImage;
  /** Where other services find this one by name; it registers its tasks' addresses (A records). */
  namespace: servicediscovery.IPrivateDnsNamespace;
  /** Plain, non-secret environment variables of the app container. @default none */
  environment?: Record<string, string>;
  /**
   * The app container's secrets, by variable name, read from Secrets Manager when the task
   * starts (the task's execution role is granted read access to exactly these).
   * @default none
   */
  secrets?: Record<string, ecs.Secret>;
  /**
   * A step that must succeed before the app container starts (e.g. database migrations). It
   * is not essential: the task keeps running once it has exited with 0.
   * @default none
   */
  setup?: ContainerSetupStep;
  /**
   * The app container's health check. ECS ignores an image's HEALTHCHECK, so repeat it here.
   * @default none: the container counts as healthy while it runs
   */
  healthCheck?: ecs.HealthCheck;
  /** The port the app listens on. @default 3000 */
  port?: number;
  /** @default 256 (0.25 vCPU), the smallest Fargate size */
  cpu?: number;
  /** @default 512 MiB, the smallest memory for 0.25 vCPU */
  memoryLimitMiB?: number;
  /** @default 1 */
  minCapacity?: number;
  /** @default 3 */
  maxCapacity?: number;
  /** Average CPU utilization that autoscaling keeps the tasks at. @default 60 % */
  targetCpuUtilizationPercent?: number;
  /**
   * The path the load balancer checks. A task that fails it is replaced by ECS, so it must be a
   * liveness check: a readiness check fails with the database, and would replace every task.
   * @default '/healthz'
   */
  loadBalancerHealthCheckPath?: string;
  /**
   * How long after a task starts ECS ignores failed load balancer checks (setup included).
   * @default 2 minutes
   */
  healthCheckGracePeriod?: Duration;
  /** How long the containers' logs are kept in CloudWatch. @default one week */
  logRetention?: logs.RetentionDays;
}

/**
 * One microservice on ECS Fargate: a task definition for linux/arm64 with the app container
 * (and an optional setup container that must succeed before it), a Fargate service registered
 * in Cloud Map, a target group for a load balancer's listener rules, CPU autoscaling, and logs.
 *
 * Defaults: 0.25 vCPU / 512 MiB on Graviton (ARM64), 1 to 3 tasks scaled to keep CPU at 60 %,
 * in the VPC's public subnets with a public IP (so image pulls, secrets and logs need no NAT
 * gateway), a security group that admits nobody until `admit(peer)` and lets out only HTTPS
 * (ECR, Secrets Manager, CloudWatch Logs) plus what is opened explicitly (`admit` of another
 * service, `PostgresDatabase.allowFrom`), rolling deployments that keep every old task until
 * its replacement is healthy and roll back when new tasks keep failing (the circuit breaker),
 * and one log group kept one week and deleted with the stack.
 */
export class ContainerService extends Construct implements ec2.IConnectable {
  readonly service: ecs.FargateService;
  /** The tasks' security group, as a peer: `otherService.admit(this)`, `database.allowFrom`. */
  readonly connections: ec2.Connections;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly appContainer: ecs.ContainerDefinition;
  readonly setupContainer: ecs.ContainerDefinition | undefined;
  /**
   * The tasks, registered by IP, for a listener rule to forward to. ECS creates the service
   * only once something forwards to this group: make `service` depend on that rule.
   */
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;
  /** `http://<name>.<namespace>:<port>`: how other services in the VPC call this one. */
  readonly url: string;
  private readonly port: number;

  constructor(scope: Construct, id: string, props: ContainerServiceProps) {
    super(scope, id);
    const { name, cluster } = props;
    this.port = props.port ?? 3000;

    // DESTROY: a course lab must leave nothing behind (and nothing billed) after `cdk destroy`.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.taskDefinition = gravitonTaskDefinition(this, props);

    this.setupContainer =
      props.setup === undefined
        ? undefined
        : this.taskDefinition.addContainer('Setup', {
            containerName: `${name}-setup`,
            image: props.image,
            essential: false,
            command: props.setup.command,
            environment: props.setup.environment,
            secrets: props.setup.secrets,
            logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'setup' }),
          });

    this.appContainer = this.taskDefinition.addContainer('App', {
      containerName: name,
      image: props.image,
      essential: true,
      environment: props.environment,
      secrets: props.secrets,
      portMappings: [{ containerPort: this.port }],
      healthCheck: props.healthCheck,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'app' }),
    });
    if (this.setupContainer !== undefined) {
      this.appContainer.addContainerDependencies({
        container: this.setupContainer,
        condition: ecs.ContainerDependencyCondition.SUCCESS,
      });
    }

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: cluster.vpc,
      description: `${name} tasks: admitted peers in, HTTPS and opened peers out`,
      allowAllOutbound: false,
    });
    // Without a NAT gateway, the task's public IP is how it reaches ECR (and S3 for the image
    // layers), Secrets Manager and CloudWatch Logs: all of them over HTTPS.
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to AWS APIs: image pulls, secrets, logs',
    );

    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition: this.taskDefinition,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      assignPublicIp: true,
      securityGroups: [this.securityGroup],
      // A deploy starts the new tasks first and stops an old one only once its successor is
      // healthy; if new tasks keep failing, ECS rolls back to the last working task definition.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: props.healthCheckGracePeriod ?? Duration.minutes(2),
      cloudMapOptions: {
        cloudMapNamespace: props.namespace,
        name,
        dnsRecordType: servicediscovery.DnsRecordType.A,
        // Short: a replaced task's address must leave callers' caches quickly.
        dnsTtl: Duration.seconds(10),
      },
    });
    this.connections = this.service.connections;
    this.url = `http://${name}.${props.namespace.namespaceName}:${this.port}`;

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Targets', {
      vpc: cluster.vpc,
      port: this.port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      targets: [
        this.service.loadBalancerTarget({
          containerName: this.appContainer.containerName,
          containerPort: this.port,
        }),
      ],
      healthCheck: {
        path: props.loadBalancerHealthCheckPath ?? '/healthz',
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        healthyThresholdCount: 2,
      },
      // A stopping task finishes its requests quickly; the default 300 s slows every deploy.
      deregistrationDelay: Duration.seconds(15),
    });

    this.service
      .autoScaleTaskCount({
        minCapacity: props.minCapacity ?? 1,
        maxCapacity: props.maxCapacity ?? 3,
      })
      .scaleOnCpuUtilization('Cpu', {
        targetUtilizationPercent: props.targetCpuUtilizationPercent ?? 60,
      });

    suppressTaskDefinitionFindings(this.taskDefinition);
  }

  /**
   * Lets `peer` (a load balancer, another service) connect to the app's port; a peer that
   * restricts its outbound traffic also gets the matching rule out.
   */
  admit(peer: ec2.IConnectable, description: string): void {
    this.service.connections.allowFrom(peer, ec2.Port.tcp(this.port), description);
  }
}

/**
 * The course's Fargate task definition, `Task` in `scope`: Linux on Graviton (ARM64), the
 * smallest size unless told otherwise (0.25 vCPU, 512 MiB).
 */
export function gravitonTaskDefinition(
  scope: Construct,
  size: { cpu?: number; memoryLimitMiB?: number },
): ecs.FargateTaskDefinition {
  return new ecs.FargateTaskDefinition(scope, 'Task', {
    cpu: size.cpu ?? 256,
    memoryLimitMiB: size.memoryLimitMiB ?? 512,
    runtimePlatform: {
      cpuArchitecture: ecs.CpuArchitecture.ARM64,
      operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
    },
  });
}
