/*
 * What the local AWS runtime serves, read from a stage's synthesized CDK app (its cloud assembly):
 * plain data, every CloudFormation reference already resolved to a local value. The assembly
 * reader (assembly/) builds it; the Lambda environments (lambda/), the HTTP APIs (http-api/)
 * and the messaging (messaging/) each serve their part of it.
 */

/** A Lambda function of the application (never one of CDK's own helper functions). */
export interface LocalFunction {
  logicalId: string;
  /** `FunctionName` when the template sets one, else `<stack>-<logicalId>` (stands in for the generated name). */
  name: string;
  /** `arn:aws:lambda:<region>:<account>:function:<name>` */
  arn: string;
  /** Absolute path of the code asset's folder in the cloud assembly (`aws:asset:path`). */
  codeDir: string;
  /** e.g. `index.handler`: a file in codeDir (index.mjs, index.js or index.cjs) and its export. */
  handler: string;
  /** e.g. `nodejs24.x`; only Node.js runtimes are served. */
  runtime: string;
  /** The template's Timeout, in seconds (Lambda's default: 3). */
  timeoutSeconds: number;
  /** The template's MemorySize, in MB (Lambda's default: 128); reported, not enforced. */
  memoryMb: number;
  /** The function's Environment.Variables, resolved. */
  environment: Record<string, string>;
  /** ReservedConcurrentExecutions, when the template sets it. */
  reservedConcurrency?: number;
}

/** One route of an HTTP API (`AWS::ApiGatewayV2::Route` with its Lambda proxy integration). */
export interface HttpApiRoute {
  logicalId: string;
  /** `GET /threads/{id}`, `ANY /api/{proxy+}`, `$default` … exactly as in the template. */
  routeKey: string;
  /** The function its AWS_PROXY integration invokes (payload format 2.0: 1.0 fails the start). */
  functionName: string;
  /** The integration's TimeoutInMillis (API Gateway's default and maximum: 30,000). */
  integrationTimeoutMs: number;
}

/** An `AWS::ApiGatewayV2::Api` of protocol HTTP, with its stage. */
export interface LocalHttpApi {
  logicalId: string;
  /** Stands in for the generated API id: the logical id, lower-cased. */
  apiId: string;
  /** The stage's StageName (`$default` with CDK's HttpApi defaults). */
  stageName: string;
  routes: HttpApiRoute[];
  /** The stage's DefaultRouteSettings throttling, when set. */
  throttling?: { burstLimit: number; rateLimit: number };
}

export interface LocalQueue {
  logicalId: string;
  /** QueueName when set, else `<stack>-<logicalId>` (`.fifo` kept for FIFO queues). */
  name: string;
  arn: string;
  fifo: boolean;
  contentBasedDeduplication: boolean;
  /** Seconds (SQS's default: 30). */
  visibilityTimeoutSeconds: number;
  /** Seconds (SQS's default: 4 days). */
  messageRetentionSeconds: number;
  /** Seconds (default 0). */
  delaySeconds: number;
  /** Seconds (default 0). */
  receiveMessageWaitTimeSeconds: number;
  redrivePolicy?: { deadLetterTargetArn: string; maxReceiveCount: number };
}

export interface LocalTopic {
  logicalId: string;
  /** TopicName when set, else `<stack>-<logicalId>`. */
  name: string;
  arn: string;
  fifo: boolean;
  contentBasedDeduplication: boolean;
}

export interface LocalSubscription {
  logicalId: string;
  topicArn: string;
  /** Only 'sqs' is served (fauxqs delivers to queues); anything else fails the start. */
  protocol: 'sqs';
  /** The queue's ARN. */
  endpoint: string;
  rawMessageDelivery: boolean;
  /** The FilterPolicy as an object, when set. */
  filterPolicy?: Record<string, unknown>;
  /** Default 'MessageAttributes'. */
  filterPolicyScope: 'MessageAttributes' | 'MessageBody';
}

/** An `AWS::S3::Bucket`: served by fauxqs's S3 (path-style, at the messaging endpoint). */
export interface LocalBucket {
  logicalId: string;
  /** BucketName when set, else `<stack>-<logicalId>` lower-cased (S3's naming rules). */
  name: string;
  /** `arn:aws:s3:::<name>` */
  arn: string;
  /**
   * The bucket's settings the runtime leaves out (versioning, encryption, lifecycle…), each with
   * the reason, logged at start: the bucket still stores and serves objects.
   */
  ignoredSettings: { property: string; reason: string }[];
}

/** An SQS → Lambda `AWS::Lambda::EventSourceMapping`. */
export interface LocalEventSourceMapping {
  logicalId: string;
  queueArn: string;
  functionName: string;
  /** Default 10. */
  batchSize: number;
  /** MaximumBatchingWindowInSeconds, default 0. */
  maximumBatchingWindowSeconds: number;
  /** FunctionResponseTypes includes ReportBatchItemFailures. */
  reportBatchItemFailures: boolean;
  /** ScalingConfig.MaximumConcurrency, when set (AWS allows 2–1000). */
  maximumConcurrency?: number;
  /** Default true. */
  enabled: boolean;
}

/** An `AWS::Events::Rule` (or `AWS::Scheduler::Schedule`) that invokes a function on a schedule. */
export interface LocalSchedule {
  logicalId: string;
  /** The rule's or schedule's ARN, as the event's `resources` names it (from its Name, when set). */
  arn: string;
  /** Who sends the event: an EventBridge rule (`aws.events`) or EventBridge Scheduler (`aws.scheduler`). */
  source: 'aws.events' | 'aws.scheduler';
  /** `rate(5 minutes)` or `cron(0/5 * * * ? *)`, as in the template. */
  expression: string;
  functionName: string;
  /** The target's Input, when set (JSON text); else the scheduled event as the source sends it. */
  input?: string;
  enabled: boolean;
}

/**
 * An `AWS::StepFunctions::StateMachine` the application owns (marked with
 * markApplicationStateMachine), run by aws-local-stepfunctions.
 */
export interface LocalStateMachine {
  logicalId: string;
  /** StateMachineName when set, else `<stack>-<logicalId>`. */
  name: string;
  /** `arn:aws:states:<region>:<account>:stateMachine:<name>`: its `Ref` and `Arn`. */
  arn: string;
  /** StateMachineType (default STANDARD). Both run the same way locally (see the README). */
  type: 'STANDARD' | 'EXPRESS';
  /**
   * The Amazon States Language definition, every reference resolved to local values (the
   * functions' local ARNs) and DefinitionSubstitutions applied; checked to hold only what the
   * local engine runs.
   */
  definition: Record<string, unknown>;
}

/** A resource the runtime leaves out on purpose, and why (e.g. "IAM: no permissions are checked locally"). */
export interface IgnoredResource {
  logicalId: string;
  type: string;
  reason: string;
}

export interface LocalAwsModel {
  stackName: string;
  region: string;
  accountId: string;
  functions: LocalFunction[];
  httpApis: LocalHttpApi[];
  queues: LocalQueue[];
  topics: LocalTopic[];
  subscriptions: LocalSubscription[];
  eventSourceMappings: LocalEventSourceMapping[];
  schedules: LocalSchedule[];
  buckets: LocalBucket[];
  stateMachines: LocalStateMachine[];
  ignored: IgnoredResource[];
}

/**
 * Where the local services listen, known before the model is built, so that references resolve
 * to working local values (a queue's `Ref` is its URL at the local SQS endpoint, an HTTP API's
 * `ApiEndpoint` its local URL).
 */
export interface LocalEndpoints {
  /**
   * fauxqs: SQS (JSON 1.0), SNS (query protocol) and S3 (REST, path-style) on one port, e.g.
   * http://127.0.0.1:4566
   */
  messaging: string;
  /** The Lambda Invoke API, e.g. http://127.0.0.1:9001 */
  lambda: string;
  /** The base URL each HTTP API listens on, by API logical id. */
  httpApis: Record<string, string>;
}

/**
 * Values the stage supplies for resources the runtime does not emulate, by logical id and
 * attribute: e.g. `{ Database: { 'Endpoint.Address': '127.0.0.1', 'Endpoint.Port': '5432' } }`
 * or a secret's `Ref`. A reference to an ignored resource that is not supplied fails the start.
 * The attribute `Ref` stands for the resource's `Ref`.
 */
export type SuppliedValues = Record<string, Record<string, string>>;

/** Why the start stops: names the logical id (and property) it could not serve. */
export class LocalAwsError extends Error {
  constructor(
    message: string,
    readonly logicalId?: string,
    readonly property?: string,
  ) {
    super(message);
    this.name = 'LocalAwsError';
  }
}
