/*
 * The leaderboard projector: the consumer of the leaderboard queue. Each record is one event;
 * applying it is one idempotent statement (./leaderboard.ts), so a redelivered or late event
 * changes nothing. A record that fails — its body breaks the event contract, or the database is
 * down — is reported as a batch item failure (see ../events/sqs-consumer.ts): SQS delivers it
 * again, and after three receives moves it to the dead-letter queue. The others in the batch are
 * applied and deleted.
 */
import { parseDomainEvent } from '@course/contract/events';
import type { Logger } from '@course/service-kit/core';
import type { SQSHandler, SQSRecord } from 'aws-lambda';
import { traceOf } from '../events/outbox.ts';
import { sqsConsumer } from '../events/sqs-consumer.ts';
import type { AsyncSlotsDatabase } from './database.ts';
import { applyEvent } from './leaderboard.ts';

export function leaderboardProjector({
  db,
  log,
}: {
  db: AsyncSlotsDatabase;
  log: Logger;
}): SQSHandler {
  async function projectRecord(record: SQSRecord): Promise<void> {
    const recordLog = log.child({
      messageId: record.messageId,
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
    });
    try {
      const event = parseDomainEvent(record.body);
      const applied = await applyEvent(db, event);
      recordLog.info(
        { ...traceOf(event), type: event.type, sequence: event.data.sequence, applied },
        applied ? 'event projected' : 'event already reflected: ignored',
      );
    } catch (err) {
      // The trace id travels as a message attribute too: a body that is no event still has it.
      const traceId = record.messageAttributes.traceId?.stringValue;
      recordLog.warn(
        { err, ...(traceId ? { traceId } : {}) },
        'event not projected: left on the queue for a retry (or the dead-letter queue)',
      );
      throw err;
    }
  }
  return sqsConsumer(projectRecord);
}
