import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * How long a received message stays invisible to other consumers: at least six times the
 * consumer's timeout (10 s), as Lambda's SQS guide advises, so a batch that is still being
 * processed, or retried after throttling, is not delivered twice meanwhile. The template test
 * checks it against each mapped function's timeout.
 */
export const VISIBILITY_TIMEOUT = Duration.seconds(60);

/**
 * Receives before SQS moves a message to the dead-letter queue: a poison message stops there.
 * Five, as Lambda's SQS guide advises for a queue a function consumes: every failed batch item
 * and every throttled invocation counts a receive, so with fewer, a few minutes of a dependency
 * down (the database restarting) would dead-letter good messages along with the poison ones.
 */
export const MAX_RECEIVE_COUNT = 5;

/**
 * The age of the oldest message that means no one is consuming the queue: its consumer stopped
 * (a disabled mapping, no forum task running) or falls further and further behind. Far above a
 * healthy queue's seconds, and far below the 4 days after which SQS deletes a message unread,
 * with no dead-letter queue and no other alarm to say so.
 */
export const STALE_MESSAGE_AGE = Duration.minutes(5);

/**
 * The dead-letter queue keeps a message the longest SQS allows. A message's age counts from
 * when it first entered the source queue (4 days by default), so the dead-letter queue's must
 * be longer, or a message could expire the moment it lands there.
 */
export const DEAD_LETTER_RETENTION = Duration.days(14);

export interface EventQueueProps {
  /** The topic the queue subscribes to. */
  topic: sns.ITopic;
  /** Which events the queue receives, by their message attributes. @default every event */
  filterPolicy?: Record<string, sns.SubscriptionFilter>;
  /** What the queue is for, in the alarm's description. */
  purpose: string;
}

/**
 * One consumer's queue of the domain events: an SQS queue subscribed to the topic with raw
 * message delivery (the body is the event itself, the attributes stay message attributes), its
 * dead-letter queue, an alarm as soon as one message is dead, and one when the oldest message
 * waits too long.
 *
 * Defaults: SSE-SQS encryption (SQS-owned keys: SNS may deliver to it with no key policy to
 * write, which a queue encrypted with the AWS managed key `alias/aws/sqs` would refuse), HTTPS
 * only (`enforceSSL`), visibility timeout 60 s, 5 receives before the dead-letter queue, which
 * keeps messages 14 days; the stale-queue alarm at 5 minutes.
 */
export class EventQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /** In ALARM while the dead-letter queue holds at least one message. */
  readonly deadLetterAlarm: cloudwatch.Alarm;
  /** In ALARM while the queue's oldest message is older than STALE_MESSAGE_AGE. */
  readonly staleMessageAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: EventQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: VISIBILITY_TIMEOUT,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    // The subscription also writes the queue policy that lets this topic, and nothing else,
    // send to the queue (sns.amazonaws.com, aws:SourceArn = the topic).
    props.topic.addSubscription(
      new subscriptions.SqsSubscription(this.queue, {
        rawMessageDelivery: true,
        filterPolicy: props.filterPolicy,
      }),
    );
    // SQS publishes its metrics every minute; the maximum of one period sees a single message.
    this.deadLetterAlarm = this.deadLetterQueue
      .metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      })
      .createAlarm(this, 'DeadLetterAlarm', {
        alarmDescription: `${props.purpose}: a message failed ${MAX_RECEIVE_COUNT} times and waits in the dead-letter queue (fix, then redrive)`,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data: SQS sends no metric for a queue that has been empty for a while.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.staleMessageAlarm = this.queue
      .metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      })
      .createAlarm(this, 'StaleMessageAlarm', {
        alarmDescription: `${props.purpose}: a message has waited ${STALE_MESSAGE_AGE.toMinutes()} minutes or more; is its consumer running?`,
        threshold: STALE_MESSAGE_AGE.toSeconds(),
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No data: the queue has been empty and idle, so nothing is waiting.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
  }

  /** The queue's alarms, for a stack to send somewhere. */
  get alarms(): cloudwatch.Alarm[] {
    return [this.deadLetterAlarm, this.staleMessageAlarm];
  }
}
