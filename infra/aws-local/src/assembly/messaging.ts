/*
 * The messaging resources: SQS queues (with their redrive policy), SNS topics, their `sqs`
 * subscriptions (with a filter policy), and the SQS → Lambda event source mappings.
 */
import { isRecord } from '../is-record.ts';
import {
  LocalAwsError,
  type LocalEventSourceMapping,
  type LocalFunction,
  type LocalQueue,
  type LocalSubscription,
  type LocalTopic,
} from '../model.ts';
import type { CfnResourceEntry } from './intrinsics.ts';
import { findFunction, type TemplateReader } from './template-reader.ts';

export function queue(
  reader: TemplateReader,
  logicalId: string,
  resource: CfnResourceEntry,
): LocalQueue {
  const props = resource.Properties ?? {};
  const at = (property: string) => ({ logicalId, property });
  const identity = reader.identity(logicalId, resource);
  const redrivePolicy = reader.jsonObject(props.RedrivePolicy, at('RedrivePolicy'));
  return {
    logicalId,
    name: identity.name,
    arn: identity.attributes.Arn ?? '',
    fifo: reader.flag(props.FifoQueue, false, at('FifoQueue')),
    contentBasedDeduplication: reader.flag(
      props.ContentBasedDeduplication,
      false,
      at('ContentBasedDeduplication'),
    ),
    visibilityTimeoutSeconds: reader.number(props.VisibilityTimeout, 30, at('VisibilityTimeout')),
    messageRetentionSeconds: reader.number(
      props.MessageRetentionPeriod,
      345_600,
      at('MessageRetentionPeriod'),
    ),
    delaySeconds: reader.number(props.DelaySeconds, 0, at('DelaySeconds')),
    receiveMessageWaitTimeSeconds: reader.number(
      props.ReceiveMessageWaitTimeSeconds,
      0,
      at('ReceiveMessageWaitTimeSeconds'),
    ),
    ...(redrivePolicy === undefined ? {} : { redrivePolicy: redrive(logicalId, redrivePolicy) }),
  };
}

/** A redrive policy SQS would accept: a dead-letter queue's ARN and a receive count of 1–1,000. */
function redrive(
  logicalId: string,
  policy: Record<string, unknown>,
): NonNullable<LocalQueue['redrivePolicy']> {
  const { deadLetterTargetArn, maxReceiveCount } = policy;
  const count = Number(maxReceiveCount);
  if (
    typeof deadLetterTargetArn !== 'string' ||
    !Number.isInteger(count) ||
    count < 1 ||
    count > 1000
  ) {
    throw new LocalAwsError(
      `${logicalId}.RedrivePolicy needs deadLetterTargetArn (a queue ARN) and maxReceiveCount (1–1,000): ${JSON.stringify(policy)}`,
      logicalId,
      'RedrivePolicy',
    );
  }
  return { deadLetterTargetArn, maxReceiveCount: count };
}

export function topic(
  reader: TemplateReader,
  logicalId: string,
  resource: CfnResourceEntry,
): LocalTopic {
  const props = resource.Properties ?? {};
  const at = (property: string) => ({ logicalId, property });
  reader.refuse(logicalId, props, {
    Subscription:
      'inline subscriptions are not served: use AWS::SNS::Subscription (CDK’s addSubscription)',
  });
  const identity = reader.identity(logicalId, resource);
  return {
    logicalId,
    name: identity.name,
    arn: identity.attributes.Arn ?? identity.attributes.Ref ?? '',
    fifo: reader.flag(props.FifoTopic, false, at('FifoTopic')),
    contentBasedDeduplication: reader.flag(
      props.ContentBasedDeduplication,
      false,
      at('ContentBasedDeduplication'),
    ),
  };
}

export function subscription(
  reader: TemplateReader,
  logicalId: string,
  resource: CfnResourceEntry,
  queues: LocalQueue[],
): LocalSubscription {
  const { cfn } = reader;
  const props = resource.Properties ?? {};
  const at = (property: string) => ({ logicalId, property });
  reader.refuse(logicalId, props, {
    RedrivePolicy: 'a subscription’s own dead-letter queue is not emulated',
  });
  const protocol = cfn.string(props.Protocol, at('Protocol'));
  if (protocol !== 'sqs') {
    throw new LocalAwsError(
      `subscription ${logicalId}: protocol ${protocol} is not served (only sqs)`,
      logicalId,
      'Protocol',
    );
  }
  const endpoint = cfn.string(props.Endpoint, at('Endpoint'));
  if (!queues.some((q) => q.arn === endpoint)) {
    throw new LocalAwsError(
      `subscription ${logicalId}: its endpoint ${endpoint} is not a queue of this stack`,
      logicalId,
      'Endpoint',
    );
  }
  const filterPolicy = reader.jsonObject(props.FilterPolicy, at('FilterPolicy'));
  const scope =
    cfn.resolve(props.FilterPolicyScope, at('FilterPolicyScope')) ?? 'MessageAttributes';
  if (scope !== 'MessageAttributes' && scope !== 'MessageBody') {
    throw new LocalAwsError(
      `subscription ${logicalId}: unknown FilterPolicyScope ${String(scope)}`,
      logicalId,
      'FilterPolicyScope',
    );
  }
  return {
    logicalId,
    topicArn: cfn.string(props.TopicArn, at('TopicArn')),
    protocol,
    endpoint,
    rawMessageDelivery: reader.flag(props.RawMessageDelivery, false, at('RawMessageDelivery')),
    ...(filterPolicy === undefined ? {} : { filterPolicy }),
    filterPolicyScope: scope,
  };
}

export function eventSourceMapping(
  reader: TemplateReader,
  logicalId: string,
  resource: CfnResourceEntry,
  queues: LocalQueue[],
  functions: LocalFunction[],
): LocalEventSourceMapping {
  const { cfn } = reader;
  const props = resource.Properties ?? {};
  const at = (property: string) => ({ logicalId, property });
  reader.refuse(logicalId, props, {
    FilterCriteria: 'event filtering of a mapping is not emulated',
    DestinationConfig: 'on-failure destinations of a mapping are not emulated',
  });
  const queueArn = cfn.string(props.EventSourceArn, at('EventSourceArn'));
  if (!queues.some((q) => q.arn === queueArn)) {
    throw new LocalAwsError(
      `event source mapping ${logicalId}: ${queueArn} is not a queue of this stack (only SQS sources are served)`,
      logicalId,
      'EventSourceArn',
    );
  }
  const fn = findFunction(
    functions,
    cfn.string(props.FunctionName, at('FunctionName')),
    at('FunctionName'),
  );
  const types = cfn.resolve(props.FunctionResponseTypes, at('FunctionResponseTypes'));
  const scaling = cfn.resolve(props.ScalingConfig, at('ScalingConfig'));
  const maximumConcurrency = isRecord(scaling) ? scaling.MaximumConcurrency : undefined;
  return {
    logicalId,
    queueArn,
    functionName: fn.name,
    batchSize: reader.number(props.BatchSize, 10, at('BatchSize')),
    maximumBatchingWindowSeconds: reader.number(
      props.MaximumBatchingWindowInSeconds,
      0,
      at('MaximumBatchingWindowInSeconds'),
    ),
    reportBatchItemFailures: Array.isArray(types) && types.includes('ReportBatchItemFailures'),
    ...(maximumConcurrency === undefined ? {} : { maximumConcurrency: Number(maximumConcurrency) }),
    enabled: reader.flag(props.Enabled, true, at('Enabled')),
  };
}
