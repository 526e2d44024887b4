import type { S3Client } from '@aws-sdk/client-s3';
import { EventContractError, parseDomainEvent } from '@course/contract/events';
import type { Logger } from '@course/service-kit';
import type { SQSHandler, SQSRecord } from 'aws-lambda';
import { sqsConsumer } from '../events/sqs-consumer.ts';
import { recordEvent } from './audit-log.ts';

/**
 * The audit log's consumer: every event of the audit queue becomes one object in the bucket.
 * Each record is handled on its own and a failed one is reported as a batch item failure (as
 * every consumer of this stage: see ../events/sqs-consumer.ts), so only it comes back, and after
 * the queue's maxReceiveCount it moves to the dead-letter queue: an event that breaks the
 * contract cannot block the others, nor loop forever.
 */
export function auditRecorder({
  s3,
  bucket,
  log,
}: {
  s3: S3Client;
  bucket: string;
  log: Logger;
}): SQSHandler {
  async function recordOne(record: SQSRecord): Promise<void> {
    const context = {
      traceId: record.messageAttributes.traceId?.stringValue,
      messageId: record.messageId,
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
    };
    try {
      const event = parseDomainEvent(record.body);
      const outcome = await recordEvent(s3, bucket, event, record.body);
      log.info(
        { ...context, traceId: event.traceId, eventId: event.id, type: event.type, outcome },
        'event audited',
      );
    } catch (err) {
      if (err instanceof EventContractError) {
        log.error({ ...context, issues: err.issues }, 'the message breaks the event contract');
      } else {
        log.warn({ ...context, err }, 'auditing an event failed; it will be received again');
      }
      throw err;
    }
  }

  return sqsConsumer(recordOne);
}
