/*
 * Creates in fauxqs what the model declares — queues (dead-letter queues first, since a redrive
 * policy names its target by ARN), topics, the topics' SQS subscriptions, then the S3 buckets —
 * through the same SDK calls CloudFormation would make, so fauxqs validates them as SQS, SNS and
 * S3 would.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { LocalAwsError, type LocalAwsModel, type LocalQueue } from '../model.ts';
import type { RuntimeOptions } from '../options.ts';
import { FAUXQS_ACCOUNT_ID, nameFromArn, queueArnFor, topicArnFor } from './names.ts';
import type { MessagingServer } from './server.ts';

/**
 * A template's duration scaled, in the whole seconds SQS attributes take. Rounded up, so that
 * a non-zero duration never becomes 0 (a visibility timeout of 0 would hand every message to
 * the next receive at once): with a time scale of 0.01, 30 s becomes 1 s, not 0.3 s. The event
 * source mappings do not depend on this rounding: they pass the exact scaled visibility timeout
 * on each receive (mapping.ts).
 */
export function scaledWholeSeconds(
  seconds: number,
  timeScale: number,
  range: { min: number; max: number },
): number {
  if (seconds === 0) return Math.max(0, range.min);
  return Math.min(range.max, Math.max(range.min, 1, Math.ceil(seconds * timeScale)));
}

/** The queue's attributes as fauxqs is given them, durations scaled (ranges: SQS's own). */
export function queueAttributes(queue: LocalQueue, timeScale: number): Record<string, string> {
  const attributes: Record<string, string> = {
    VisibilityTimeout: String(
      scaledWholeSeconds(queue.visibilityTimeoutSeconds, timeScale, { min: 0, max: 43_200 }),
    ),
    MessageRetentionPeriod: String(
      scaledWholeSeconds(queue.messageRetentionSeconds, timeScale, { min: 60, max: 1_209_600 }),
    ),
    DelaySeconds: String(scaledWholeSeconds(queue.delaySeconds, timeScale, { min: 0, max: 900 })),
    ReceiveMessageWaitTimeSeconds: String(
      scaledWholeSeconds(queue.receiveMessageWaitTimeSeconds, timeScale, { min: 0, max: 20 }),
    ),
  };
  if (queue.fifo) {
    attributes.FifoQueue = 'true';
    attributes.ContentBasedDeduplication = String(queue.contentBasedDeduplication);
  }
  if (queue.redrivePolicy) {
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: queue.redrivePolicy.deadLetterTargetArn,
      maxReceiveCount: queue.redrivePolicy.maxReceiveCount,
    });
  }
  return attributes;
}

/** Queues ordered so that every dead-letter queue comes before the queues that redrive to it. */
export function inCreationOrder(queues: LocalQueue[]): LocalQueue[] {
  const byArn = new Map(queues.map((queue) => [queue.arn, queue]));
  const ordered: LocalQueue[] = [];
  const placed = new Set<string>();
  const place = (queue: LocalQueue, path: string[]): void => {
    if (placed.has(queue.arn)) return;
    if (path.includes(queue.arn)) {
      throw new LocalAwsError(
        `Queue ${queue.logicalId}: its redrive policy loops back to itself`,
        queue.logicalId,
        'RedrivePolicy',
      );
    }
    const target = queue.redrivePolicy?.deadLetterTargetArn;
    if (target !== undefined) {
      const dlq = byArn.get(target);
      if (!dlq) {
        throw new LocalAwsError(
          `Queue ${queue.logicalId}: RedrivePolicy.deadLetterTargetArn ${target} is not a queue of this app`,
          queue.logicalId,
          'RedrivePolicy',
        );
      }
      place(dlq, [...path, queue.arn]);
    }
    placed.add(queue.arn);
    ordered.push(queue);
  };
  for (const queue of queues) place(queue, []);
  return ordered;
}

export async function createResources(
  model: LocalAwsModel,
  server: MessagingServer,
  options: RuntimeOptions,
): Promise<void> {
  if (model.accountId !== FAUXQS_ACCOUNT_ID) {
    throw new LocalAwsError(
      `The model's account is ${model.accountId}; fauxqs serves only account ${FAUXQS_ACCOUNT_ID}`,
    );
  }
  // fauxqs takes the region of an ARN from the request's signature: the model's region.
  const { sqs, sns, s3 } = server.client(model.region);
  for (const queue of inCreationOrder(model.queues)) {
    const expectedArn = queueArnFor(model.region, model.accountId, queue.name);
    if (queue.arn !== expectedArn) {
      throw new LocalAwsError(
        `Queue ${queue.logicalId}: its ARN ${queue.arn} is not the local one (${expectedArn})`,
        queue.logicalId,
        'Arn',
      );
    }
    const attributes = queueAttributes(queue, options.timeScale);
    const created = await sqs.send(
      new CreateQueueCommand({ QueueName: queue.name, Attributes: attributes }),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: created.QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    if (Attributes?.QueueArn !== queue.arn) {
      throw new LocalAwsError(
        `Queue ${queue.logicalId}: fauxqs named it ${Attributes?.QueueArn}, the model ${queue.arn}`,
        queue.logicalId,
        'Arn',
      );
    }
    options.log(
      'aws-local',
      `queue ${queue.name}: visibility timeout ${attributes.VisibilityTimeout} s` +
        (queue.redrivePolicy
          ? `, dead letters to ${nameFromArn(queue.redrivePolicy.deadLetterTargetArn)} after ${queue.redrivePolicy.maxReceiveCount} receives`
          : ''),
    );
  }
  for (const topic of model.topics) {
    const created = await sns.send(
      new CreateTopicCommand({
        Name: topic.name,
        Attributes: topic.fifo
          ? {
              FifoTopic: 'true',
              ContentBasedDeduplication: String(topic.contentBasedDeduplication),
            }
          : undefined,
      }),
    );
    const expectedArn = topicArnFor(model.region, model.accountId, topic.name);
    if (created.TopicArn !== topic.arn || topic.arn !== expectedArn) {
      throw new LocalAwsError(
        `Topic ${topic.logicalId}: fauxqs named it ${created.TopicArn}, the model ${topic.arn}`,
        topic.logicalId,
        'Arn',
      );
    }
  }
  const queueArns = new Set(model.queues.map((queue) => queue.arn));
  const topicArns = new Set(model.topics.map((topic) => topic.arn));
  for (const subscription of model.subscriptions) {
    if (!topicArns.has(subscription.topicArn) || !queueArns.has(subscription.endpoint)) {
      throw new LocalAwsError(
        `Subscription ${subscription.logicalId}: its topic or queue is not part of this app`,
        subscription.logicalId,
        topicArns.has(subscription.topicArn) ? 'Endpoint' : 'TopicArn',
      );
    }
    const attributes: Record<string, string> = {
      RawMessageDelivery: String(subscription.rawMessageDelivery),
      FilterPolicyScope: subscription.filterPolicyScope,
    };
    if (subscription.filterPolicy) {
      attributes.FilterPolicy = JSON.stringify(subscription.filterPolicy);
    }
    await sns.send(
      new SubscribeCommand({
        TopicArn: subscription.topicArn,
        Protocol: 'sqs',
        Endpoint: subscription.endpoint,
        Attributes: attributes,
        ReturnSubscriptionArn: true,
      }),
    );
  }
  for (const bucket of model.buckets) {
    // Idempotent, as in us-east-1: a bucket kept in the storage folder from a previous run stays,
    // with its objects.
    await s3.send(new CreateBucketCommand({ Bucket: bucket.name }));
    const ignored = bucket.ignoredSettings.map((s) => `${s.property} (${s.reason})`).join('; ');
    const suffix = ignored === '' ? '' : `: ignored ${ignored}`;
    options.log('aws-local', `bucket ${bucket.name}${suffix}`);
  }
}
