import { join } from 'node:path';
import { BIG_WIN_MULTIPLE, type DomainEventType } from '@course/contract/events';
import {
  pinLogicalId,
  type ServerlessStackProps,
  ServerlessTopology,
} from '@course/serverless/cdk/serverless-stack';
import { slotsFunction } from '@course/serverless/cdk/slots-function';
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { EventQueue } from './event-queue.ts';
import { LOGICAL_IDS } from './logical-ids.ts';

const srcDir = join(import.meta.dirname, '..', 'src');
const slotsFunctionsDir = join(srcDir, 'slots', 'functions');

/** The events the leaderboard projection applies. */
export const LEADERBOARD_EVENTS: DomainEventType[] = ['WalletOpened', 'SpinSettled'];

/**
 * How the consumers' event source mappings read their queues: batches of up to 10 messages as
 * soon as there are any (no batching window), partial batch failures (only the failed messages
 * come back), and at most 2 concurrent invocations per mapping. A mapping's maximum concurrency
 * is the way to cap a consumer: reserved concurrency would let the mapping's pollers receive
 * messages the function is then throttled on, which counts receives and sends good messages to
 * the dead-letter queue early.
 */
export const CONSUMER_MAPPING = {
  batchSize: 10,
  reportBatchItemFailures: true,
  maxConcurrency: 2,
} as const;

/** The audit log's objects: `events/<yyyy>/<mm>/<dd>/<event id>.json`. */
export const AUDIT_KEY_PREFIX = 'events/';

export type AsyncStackProps = ServerlessStackProps;

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
      // No retries: the next minute's run is the retry, and it sweeps the same rows.
      targets: [new targets.LambdaFunction(sweeper, { retryAttempts: 0 })],
    });
    for (const publisher of [topology.write, topology.read, sweeper]) {
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

    // How the publishers, in the isolated subnets (no route out), reach SNS: one interface
    // endpoint, in one zone's isolated subnet, with private DNS, so the SDK's usual
    // sns.<region>.amazonaws.com resolves to it from the whole VPC. One zone halves the hourly
    // price; the other zone's functions cross zones to it (see the README for both costs).
    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'SnsEndpointSecurityGroup', {
      vpc,
      description: 'SNS interface endpoint: HTTPS from the slots functions; nothing out',
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(
      functionsSecurityGroup,
      ec2.Port.tcp(443),
      'HTTPS from the slots functions (SNS Publish)',
    );
    functionsSecurityGroup.addEgressRule(
      endpointSecurityGroup,
      ec2.Port.tcp(443),
      'HTTPS to the SNS endpoint',
    );
    vpc.addInterfaceEndpoint('SnsEndpoint', {
      service: ec2.InterfaceVpcEndpointAwsService.SNS,
      subnets: { subnets: vpc.isolatedSubnets.slice(0, 1) },
      privateDnsEnabled: true,
      securityGroups: [endpointSecurityGroup],
      open: false,
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
    // event already recorded) is refused (S3's "Enforce conditional writes" guide). Multipart
    // uploads cannot carry the header, and an event is far below their size.
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
    const recorder = slotsFunction(this, 'AuditRecorder', {
      entry: join(srcDir, 'audit', 'functions', 'record.ts'),
      description: 'Audit: writes each event to the audit log, once',
      timeout: Duration.seconds(10),
      environment: { STAGE: '04', LOG_LEVEL: 'info', AUDIT_BUCKET_NAME: auditLog.bucketName },
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
