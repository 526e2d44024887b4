import { fileURLToPath } from 'node:url';
import {
  ArnFormat,
  AssetHashType,
  CustomResource,
  DockerImage,
  Duration,
  RemovalPolicy,
  Stack,
} from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { Construct, type IDependable } from 'constructs';
import { markDeploymentFunction } from './application-function.ts';
import { gravitonTaskDefinition } from './container-service.ts';
import { suppressTaskDefinitionFindings } from './nag.ts';
import { buildNodeAppBundle } from './node-app-bundle.ts';
import type { TaskRunProperties } from './runtime/deploy-time-task.ts';

const constructsDir = fileURLToPath(new URL('..', import.meta.url));
const handlerEntry = fileURLToPath(new URL('./runtime/deploy-time-task.ts', import.meta.url));

export interface DeployTimeTaskProps {
  /** The cluster to run the task in; it runs in its VPC's public subnets. */
  cluster: ecs.ICluster;
  /** The container's image, built for linux/arm64. */
  image: ecs.ContainerImage;
  /** The container's name: its log stream prefix too. */
  name: string;
  /** Replaces the image's command. @default the image's CMD */
  command?: string[];
  /** @default none */
  environment?: Record<string, string>;
  /**
   * Read from Secrets Manager when the task starts: its execution role, and no other role of the
   * stack's tasks, is granted read access to exactly these.
   * @default none
   */
  secrets?: Record<string, ecs.Secret>;
  /**
   * How long the deploy waits for the task to stop (image pull and start included) before it
   * fails. At most an hour, the Provider framework's limit.
   * @default 15 minutes
   */
  timeout?: Duration;
  /** @default 256 (0.25 vCPU) */
  cpu?: number;
  /** @default 512 MiB */
  memoryLimitMiB?: number;
  /** @default one week */
  logRetention?: logs.RetentionDays;
}

/**
 * A container that runs to completion once per deploy, as part of it: a CloudFormation custom
 * resource whose creation starts a Fargate task (ecs:RunTask), waits for it to stop, and fails the
 * deploy, with the task's stop reason and exit code, unless its container exited with 0. It runs
 * again whenever its task definition changes (a new image, other secrets, other settings), and
 * whatever depends on it (`node.addDependency(task)`) is created only after it has succeeded.
 *
 * Defaults: 0.25 vCPU / 512 MiB on Graviton (ARM64), in the VPC's public subnets with a public IP
 * (so the image pull, the secrets and the logs need no NAT gateway), a security group that admits
 * nobody and lets out only HTTPS plus what is opened explicitly (e.g. `PostgresDatabase.allowFrom`),
 * a 15-minute limit, one log group kept one week. The Lambda functions that start and watch the
 * task run outside the VPC: they only call the ECS API, and may start this task definition only,
 * in this cluster only. ECS may not see a task it has just started (RunTask is eventually
 * consistent), so the watcher waits up to two minutes for it before it fails the deploy.
 */
export class DeployTimeTask extends Construct implements ec2.IConnectable {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly securityGroup: ec2.SecurityGroup;
  readonly connections: ec2.Connections;
  readonly logGroup: logs.LogGroup;
  private readonly run: CustomResource;

  constructor(scope: Construct, id: string, props: DeployTimeTaskProps) {
    super(scope, id);
    const { cluster } = props;
    const retention = props.logRetention ?? logs.RetentionDays.ONE_WEEK;
    const logStreamPrefix = 'run';

    // DESTROY: a course lab must leave nothing behind (and nothing billed) after `cdk destroy`.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.taskDefinition = gravitonTaskDefinition(this, props);
    this.container = this.taskDefinition.addContainer('Container', {
      containerName: props.name,
      image: props.image,
      essential: true,
      command: props.command,
      environment: props.environment,
      secrets: props.secrets,
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: logStreamPrefix }),
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: cluster.vpc,
      description: `${props.name} one-off task: nothing in, HTTPS and opened peers out`,
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS to AWS APIs: image pull, secrets, logs',
    );
    this.connections = this.securityGroup.connections;

    // The two handlers share one bundle: ../runtime/deploy-time-task.ts, with its AWS SDK client.
    const code = lambda.Code.fromAsset(constructsDir, {
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        local: {
          tryBundle(outputDir) {
            buildNodeAppBundle(outputDir, {
              packageDir: constructsDir,
              entryPoints: { index: handlerEntry },
              includeNodeRuntime: false,
            });
            return true;
          },
        },
        // Never used: local bundling above always succeeds or throws. CDK requires an image.
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
      },
    });
    // Marked as deployment-time functions: the local AWS runtime leaves them out.
    const handler = (handlerId: string, entry: 'onEvent' | 'isComplete') =>
      markDeploymentFunction(
        new lambda.Function(this, handlerId, {
          code,
          handler: `index.${entry}`,
          runtime: lambda.Runtime.NODEJS_24_X,
          architecture: lambda.Architecture.ARM_64,
          timeout: Duration.seconds(30),
          // DESTROY: a course lab must leave nothing behind (and nothing billed) after `cdk destroy`.
          logGroup: new logs.LogGroup(this, `${handlerId}Logs`, {
            retention,
            removalPolicy: RemovalPolicy.DESTROY,
          }),
        }),
      );
    const onEvent = handler('Start', 'onEvent');
    const isComplete = handler('Watch', 'isComplete');
    // ecs:RunTask of this task definition only, in this cluster only (ecs:cluster is a condition
    // key of RunTask), and iam:PassRole of its two roles, to ECS only.
    const runTask = this.taskDefinition
      .grantRun(onEvent)
      .principalStatements.find((statement) => statement.actions.includes('ecs:RunTask'));
    runTask?.addCondition('ArnEquals', { 'ecs:cluster': cluster.clusterArn });
    isComplete.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecs:DescribeTasks'],
        resources: [
          Stack.of(this).formatArn({
            service: 'ecs',
            resource: 'task',
            resourceName: `${cluster.clusterName}/*`,
            arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
          }),
        ],
      }),
    );

    // DESTROY: a course lab must leave nothing behind (and nothing billed) after `cdk destroy`.
    const frameworkLogs = new logs.LogGroup(this, 'ProviderLogs', {
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: Duration.seconds(10),
      totalTimeout: props.timeout ?? Duration.minutes(15),
      logGroup: frameworkLogs,
    });

    const properties: TaskRunProperties = {
      Cluster: cluster.clusterArn,
      // A new revision whenever the container changes: a changed property, so the task runs again.
      TaskDefinition: this.taskDefinition.taskDefinitionArn,
      ContainerName: props.name,
      Subnets: cluster.vpc.selectSubnets({ subnetType: ec2.SubnetType.PUBLIC }).subnetIds,
      SecurityGroups: [this.securityGroup.securityGroupId],
      LogGroup: this.logGroup.logGroupName,
      LogStreamPrefix: logStreamPrefix,
    };
    this.run = new CustomResource(this, 'Run', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::DeployTimeTask',
      properties,
    });
    // Not before its way out exists: every rule of its security group, added now or later.
    this.run.node.addDependency(this.securityGroup);

    this.suppressDeliberateFindings(provider, [onEvent, isComplete]);
  }

  /**
   * Runs the task only once `dependencies` exist, e.g. the database it sets up, with the security
   * group rules that let it in. (Depending on this construct as a whole would include the task's
   * own security group, which those rules refer to: a cycle.)
   */
  runsAfter(...dependencies: IDependable[]): void {
    this.run.node.addDependency(...dependencies);
  }

  /** The cdk-nag findings this construct accepts on purpose, each with its reason. */
  private suppressDeliberateFindings(provider: cr.Provider, handlers: lambda.Function[]): void {
    suppressTaskDefinitionFindings(this.taskDefinition);
    NagSuppressions.addResourceSuppressions(
      [...handlers, provider],
      [
        {
          id: 'AwsSolutions-IAM4',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          ],
          reason:
            'The managed policy lets a function write its own logs, and nothing else; CDK attaches ' +
            'it to every function it creates, and the log groups are this construct’s own.',
        },
        {
          id: 'AwsSolutions-IAM5',
          appliesTo: [{ regex: '/^Resource::arn:.*:ecs:.*:task\\/.*\\/\\*$/g' }],
          reason:
            "DescribeTasks of this cluster's tasks: a task's id is only known once it runs, and " +
            'the action reads task states, nothing else.',
        },
        {
          id: 'AwsSolutions-IAM5',
          appliesTo: [{ regex: '/^Resource::<.*\\.Arn>:\\*$/g' }],
          reason:
            'The Provider framework may invoke every version of its own handler functions ' +
            '(<function arn>:*), and no other function.',
        },
        {
          id: 'AwsSolutions-SF1',
          reason:
            "The framework's waiter state machine only polls `isComplete`; its handlers log to " +
            'CloudWatch, and a failure reaches the CloudFormation event with its reason.',
        },
        {
          id: 'AwsSolutions-SF2',
          reason:
            'X-Ray tracing of a state machine that runs a few minutes per deploy shows nothing.',
        },
      ],
      true,
    );
  }
}
