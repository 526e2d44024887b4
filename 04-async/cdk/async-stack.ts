import { join } from 'node:path';
import { BIG_WIN_MULTIPLE, type DomainEventType } from '@course/contract/events';
import {
  pinLogicalId,
  type ServerlessStackProps,
  ServerlessTopology,
} from '@course/serverless/cdk/serverless-stack';
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { OUTBOX_METRICS_NAMESPACE, type OutboxMetrics } from '../src/events/outbox-metrics.ts';
import { EventQueue } from './event-queue.ts';
import { LOGICAL_IDS } from './logical-ids.ts';
import { addPrivateServiceEndpoint } from './private-service-endpoint.ts';
import { PurchaseSaga } from './purchase-saga.ts';

const srcDir = join(import.meta.dirname, '..', 'src');
const slotsFunctionsDir = join(srcDir, 'slots', 'functions');

/** The events the leaderboard projection applies: every event that changes a balance. */
export const LEADERBOARD_EVENTS: DomainEventType[] = [
  'WalletOpened',
  'SpinSettled',
  'CreditsSpent',
  'CreditsRefunded',
];

/**
 * How the consumers' event source mappings read their queues: batches of up to 10 messages as
 * soon as there are any (no batching window), partial batch failures (only the failed messages
 * come back), and at most 2 concurrent invocations per mapping. A mapping's maximum concurrency
 * is the way to cap a consumer: with reserved concurrency instead, the mapping's pollers would
 * receive messages the function is then throttled on, a throttling the stage would cause itself.
 * It does not keep a message from the dead-letter queue: every failed attempt still counts a
 * receive, which is why the queues allow five (MAX_RECEIVE_COUNT).
 */
export const CONSUMER_MAPPING = {
  batchSize: 10,
  reportBatchItemFailures: true,
  maxConcurrency: 2,
} as const;

/**
 * The shop's routes on the HTTP API, all to the purchases function: the contract's operations
 * that exist from stage 04 on (`x-since-stage: "04"`).
 */
export const PURCHASE_ROUTES = [
  { method: 'GET', path: '/api/slots/titles' },
  { method: 'POST', path: '/api/slots/purchases' },
  { method: 'GET', path: '/api/slots/purchases/{id}' },
] as const;

/** The audit log's objects: `events/<yyyy>/<mm>/<dd>/<event id>.json`. */
export const AUDIT_KEY_PREFIX = 'events/';

/**
 * What the outbox sweeper reports, in CloudWatch's Embedded Metric Format, on each run (one source:
 * src/events/outbox-metrics.ts writes them): the age of the oldest unpublished event and the events
 * it set aside (parked) as unpublishable, by the sweeper's FunctionName.
 */
export const OUTBOX_METRICS = {
  namespace: OUTBOX_METRICS_NAMESPACE,
  oldestUnpublishedAge: 'OldestUnpublishedAgeSeconds',
  parkedEvents: 'ParkedEvents',
} as const satisfies Record<string, string> & {
  oldestUnpublishedAge: keyof OutboxMetrics;
  parkedEvents: keyof OutboxMetrics;
};

/** An outbox event unpublished this long means SNS, the endpoint or the sweeper is failing. */
export const OUTBOX_STALE_AGE = Duration.minutes(5);

export interface AsyncStackProps extends ServerlessStackProps {
  /**
   * Who gets the alarms by e-mail: an SNS topic with this address subscribed (AWS sends it a
   * confirmation link first) is every alarm's action.
   * @default none: the alarms change state in the CloudWatch console and notify no one
   */
  alarmEmail?: string;
}

/**
 * Stage 04 on AWS: stage 03's topology (ServerlessTopology), whose slots functions now publish
 * the domain events of slots to an SNS topic, fanned out to three SQS queues, one per consumer:
 * the leaderboard projection (a function), jackpot announcements (the forum service polls), and
 * the audit log (a function writing to S3). An outbox sweeper publishes, every minute, what the
 * API functions' relay left unpublished.
 */
export class AsyncStack extends Stack {
  constructor(scope: Construct, id: string, props: AsyncStackProps) {
    super(scope, id, props);

    // The topic, encrypted at rest with SNS's AWS managed key: publishers in this account with
    // sns:Publish may use it through SNS, and SNS decrypts before it delivers to the queues. HTTPS
    // only. Standard, not FIFO: the consumers are idempotent and order-safe by design.
    const topic = new sns.Topic(this, 'EventsTopic', {
      enforceSSL: true,
      masterKey: kms.Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
    });
    pinLogicalId(topic, LOGICAL_IDS.eventsTopic);

    // One queue per consumer, each with its dead-letter queue and alarm; subscriptions filter on
    // the message attributes the relay publishes with (messageAttributesOf in the contract).
    const leaderboard = new EventQueue(this, 'Leaderboard', {
      topic,
      purpose: 'Leaderboard projection',
      filterPolicy: {
        type: sns.SubscriptionFilter.stringFilter({ allowlist: LEADERBOARD_EVENTS }),
      },
    });
    const jackpot = new EventQueue(this, 'Jackpot', {
      topic,
      purpose: 'Jackpot announcements',
      filterPolicy: {
        type: sns.SubscriptionFilter.stringFilter({ allowlist: ['SpinSettled'] }),
        payoutMultiple: sns.SubscriptionFilter.numericFilter({
          greaterThanOrEqualTo: BIG_WIN_MULTIPLE,
        }),
      },
    });
    const audit = new EventQueue(this, 'Audit', { topic, purpose: 'Audit log' });
    for (const [queue, queueId, deadLetterId] of [
      [leaderboard, LOGICAL_IDS.leaderboardQueue, LOGICAL_IDS.leaderboardDeadLetterQueue],
      [jackpot, LOGICAL_IDS.jackpotQueue, LOGICAL_IDS.jackpotDeadLetterQueue],
      [audit, LOGICAL_IDS.auditQueue, LOGICAL_IDS.auditDeadLetterQueue],
    ] as const) {
      pinLogicalId(queue.queue, queueId);
      pinLogicalId(queue.deadLetterQueue, deadLetterId);
    }

    // Stage 03's topology with this stage's code: the write and read functions write events to
    // the outbox and relay them (the read function opens wallets), the forum polls its queue.
    const publishes = { EVENTS_TOPIC_ARN: topic.topicArn };
    const topology = new ServerlessTopology(this, {
      ...props,
      stage: '04',
      slotsFunctions: {
        write: { entry: join(slotsFunctionsDir, 'write.ts'), environment: publishes },
        read: { entry: join(slotsFunctionsDir, 'read.ts'), environment: publishes },
        ranks: { entry: join(slotsFunctionsDir, 'ranks.ts') },
      },
      forumEnvironment: { JACKPOT_QUEUE_URL: jackpot.queue.queueUrl },
    });
    const { vpc, functionsSecurityGroup } = topology;

    // The sweeper: every minute, what the relay left in the outbox (a crash, SNS refusing).
    const sweeper = topology.addSlotsFunction('OutboxSweeper', {
      entry: join(slotsFunctionsDir, 'sweep-outbox.ts'),
      description: 'Slots: publishes the outbox events the relay left unpublished',
      timeout: Duration.seconds(30),
      environment: publishes,
    });
    pinLogicalId(sweeper, LOGICAL_IDS.sweeperFunction);
    new events.Rule(this, 'OutboxSweepSchedule', {
      description: 'Runs the outbox sweeper every minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      // EventBridge does not retry an Invoke it could not make: the next minute's run will.
      targets: [new targets.LambdaFunction(sweeper, { retryAttempts: 0 })],
    });
    // EventBridge invokes asynchronously: Lambda queues the event and by default retries a failed
    // run twice and keeps an event it could not run (throttled) up to 6 hours. Neither helps: the
    // next minute's run is the retry, and it sweeps the same rows; so no retries, and an event
    // older than a minute is dropped, as the next one has taken its place.
    sweeper.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });

    // The purchase saga (purchase-saga.ts): its five steps, the state machine that runs them, and
    // the reconciler that closes the purchases none of them ended.
    const saga = new PurchaseSaga(this, 'PurchaseSaga', { topology, eventsTopic: topic });

    // The shop's API function, behind the HTTP API like write and read: it records a purchase and
    // starts its execution, named by the purchase id (StartExecution on this saga only).
    const purchases = topology.addApiFunction(
      'Purchases',
      {
        entry: join(srcDir, 'purchases', 'functions', 'purchases.ts'),
        description: 'Slots: the titles shop and the purchases (starts the purchase saga)',
        // It publishes too: a player's first purchase may open their wallet (WalletOpened).
        environment: { ...publishes, PURCHASE_SAGA_ARN: saga.stateMachine.stateMachineArn },
      },
      PURCHASE_ROUTES,
    );
    pinLogicalId(purchases, LOGICAL_IDS.purchasesFunction);
    saga.stateMachine.grantStartExecution(purchases);
    // It reaches Step Functions as the publishers reach SNS: through an interface endpoint,
    // through which only this saga can be started, and only its executions described (the
    // reconciler's DescribeExecution).
    addPrivateServiceEndpoint(this, 'StepFunctions', {
      vpc,
      service: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
      serviceName: 'Step Functions',
      clients: functionsSecurityGroup,
      allow: [
        { actions: ['states:StartExecution'], resources: [saga.stateMachine.stateMachineArn] },
        { actions: ['states:DescribeExecution'], resources: [saga.executionsArn] },
      ],
    });

    for (const publisher of [
      topology.write,
      topology.read,
      purchases,
      sweeper,
      ...saga.publishers,
    ]) {
      topic.grantPublish(publisher);
      NagSuppressions.addResourceSuppressions(
        publisher,
        [
          {
            id: 'AwsSolutions-IAM5',
            appliesTo: [
              'Action::kms:GenerateDataKey*',
              { regex: '/^Resource::arn:.*:kms:.*:key/\\*$/g' },
            ],
            reason:
              "What `grantPublish` adds for an encrypted topic: the topic's key, which is SNS's " +
              'AWS managed key, whose id is not known at synth, so any key of the account, but ' +
              'only through the condition that it is the key of alias/aws/sns.',
          },
        ],
        true,
      );
    }

    // How the publishers, in the isolated subnets (no route out), reach SNS: an interface
    // endpoint (see private-service-endpoint.ts) through which they may only publish to this
    // topic (sns:Publish covers PublishBatch too).
    addPrivateServiceEndpoint(this, 'Sns', {
      vpc,
      service: ec2.InterfaceVpcEndpointAwsService.SNS,
      serviceName: 'SNS',
      clients: functionsSecurityGroup,
      allow: [{ actions: ['sns:Publish'], resources: [topic.topicArn] }],
    });

    // The leaderboard projection: in the VPC for the database; the Lambda service polls the
    // queue for it, so it needs no network path to SQS.
    const projector = topology.addSlotsFunction('LeaderboardProjector', {
      entry: join(slotsFunctionsDir, 'project-leaderboard.ts'),
      description: 'Slots: applies the events to the leaderboard read model',
      timeout: Duration.seconds(10),
    });
    pinLogicalId(projector, LOGICAL_IDS.projectorFunction);
    projector.addEventSource(new SqsEventSource(leaderboard.queue, CONSUMER_MAPPING));

    // Jackpot announcements: the forum's tasks poll their queue over SQS's public endpoint, from
    // the public subnets with a public IP (HTTPS out, as for their image pulls and logs).
    jackpot.queue.grantConsumeMessages(topology.forum.taskDefinition.taskRole);

    // The audit log: one object per event, written once.
    const auditLog = new s3.Bucket(this, 'AuditLog', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // DESTROY, emptied first: a course lab must leave nothing behind (and nothing billed) after
      // `cdk destroy`. That is also why the log has no Object Lock (see the README).
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    pinLogicalId(auditLog, LOGICAL_IDS.auditBucket);
    NagSuppressions.addResourceSuppressions(auditLog, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'Server access logs would need a second bucket, itself left behind or logged; the one ' +
          'writer is the recorder function, whose log has a line for every object it writes.',
      },
    ]);
    // Write-once, whoever writes: a PutObject without If-None-Match (which would replace an
    // event already recorded) is refused, as S3's "Enforce conditional writes" guide shows. The
    // condition is on the header's presence (Null), not its value: S3 accepts only `*` for it.
    // The same action covers the steps of a multipart upload, and CreateMultipartUpload and
    // UploadPart cannot carry the header, so multipart uploads are refused too (an event is far
    // below their size); so is CopyObject into the bucket.
    auditLog.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyPutWithoutIfNoneMatch',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [auditLog.arnForObjects('*')],
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
    );
    // Outside the VPC: it talks to SQS (through its mapping) and S3 only, both public endpoints.
    const recorder = topology.addFunctionOutsideVpc('AuditRecorder', {
      entry: join(srcDir, 'audit', 'functions', 'record.ts'),
      description: 'Audit: writes each event to the audit log, once',
      timeout: Duration.seconds(10),
      environment: { AUDIT_BUCKET_NAME: auditLog.bucketName },
    });
    pinLogicalId(recorder, LOGICAL_IDS.auditFunction);
    recorder.addEventSource(new SqsEventSource(audit.queue, CONSUMER_MAPPING));
    // PutObject only, under events/: `grantPut` would add tagging, legal holds, retention and
    // aborting multipart uploads, none of which the recorder does.
    recorder.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [auditLog.arnForObjects(`${AUDIT_KEY_PREFIX}*`)],
      }),
    );
    NagSuppressions.addResourceSuppressions(
      recorder,
      [
        {
          id: 'AwsSolutions-IAM5',
          appliesTo: [`Resource::<${LOGICAL_IDS.auditBucket}.Arn>/${AUDIT_KEY_PREFIX}*`],
          reason:
            'One object per event, named by the event: the keys are not known in advance. ' +
            'PutObject only, under events/ only.',
        },
      ],
      true,
    );

    const alarms = [
      ...leaderboard.alarms,
      ...jackpot.alarms,
      ...audit.alarms,
      ...outboxAlarms(this, sweeper),
      ...saga.alarms,
    ];
    if (props.alarmEmail !== undefined) notifyByEmail(this, alarms, props.alarmEmail);

    new CfnOutput(this, 'EventsTopicArn', { value: topic.topicArn });
    new CfnOutput(this, 'AuditLogBucket', {
      value: auditLog.bucketName,
      description: `The audit log: ${AUDIT_KEY_PREFIX}<yyyy>/<mm>/<dd>/<event id>.json`,
    });
    for (const [name, queue] of [
      ['Leaderboard', leaderboard],
      ['Jackpot', jackpot],
      ['Audit', audit],
    ] as const) {
      new CfnOutput(this, `${name}DeadLetterQueueArn`, {
        value: queue.deadLetterQueue.queueArn,
        description: 'For the redrive (aws sqs start-message-move-task --source-arn …)',
      });
    }
  }
}

/**
 * The outbox's alarms: the sweeper failing, an event left unpublished for 5 minutes, and any event
 * the sweeper parked. The sweeper logs both metrics on every run (0 when all is well), so no data
 * for the age means the sweeper has not run: that breaches too.
 */
function outboxAlarms(scope: Construct, sweeper: lambda.IFunction): cloudwatch.Alarm[] {
  const outboxMetric = (metricName: string) =>
    new cloudwatch.Metric({
      namespace: OUTBOX_METRICS.namespace,
      metricName,
      dimensionsMap: { FunctionName: sweeper.functionName },
      period: Duration.minutes(5),
      statistic: cloudwatch.Stats.MAXIMUM,
    });
  const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
  return [
    sweeper
      .metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM })
      .createAlarm(scope, 'OutboxSweeperErrorsAlarm', {
        alarmDescription: 'Outbox sweeper: a run failed (its log says why); events may wait',
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: atLeast,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    outboxMetric(OUTBOX_METRICS.oldestUnpublishedAge).createAlarm(scope, 'OutboxStaleAlarm', {
      alarmDescription: `Outbox: an event has waited ${OUTBOX_STALE_AGE.toMinutes()} minutes or more to be published (SNS, its endpoint, or the sweeper)`,
      threshold: OUTBOX_STALE_AGE.toSeconds(),
      evaluationPeriods: 1,
      comparisonOperator: atLeast,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }),
    outboxMetric(OUTBOX_METRICS.parkedEvents).createAlarm(scope, 'OutboxParkedAlarm', {
      alarmDescription: 'Outbox: the sweeper set an event aside as unpublishable (see its log)',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: atLeast,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  ];
}

/** An SNS topic that e-mails `address`, as every alarm's action. */
function notifyByEmail(scope: Construct, alarms: cloudwatch.Alarm[], address: string): void {
  const topic = new sns.Topic(scope, 'AlarmTopic', { enforceSSL: true });
  NagSuppressions.addResourceSuppressions(topic, [
    {
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudWatch can publish to an encrypted topic only if the key policy lets ' +
        'cloudwatch.amazonaws.com use the key, which the AWS managed key alias/aws/sns cannot; a ' +
        'customer managed key would cost $1 a month for messages that only say an alarm changed.',
    },
  ]);
  topic.addSubscription(new subscriptions.EmailSubscription(address));
  const action = new cloudwatchActions.SnsAction(topic);
  for (const alarm of alarms) alarm.addAlarmAction(action);
}
