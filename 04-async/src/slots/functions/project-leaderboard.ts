/*
 * The leaderboard projector: the consumer of the leaderboard queue, behind an SQS event source
 * mapping (batches of up to ten, ReportBatchItemFailures). Each record is one event; applying it
 * is one idempotent statement (../leaderboard.ts), so a redelivered or late event changes
 * nothing. A record that fails — its body breaks the event contract, or the database is down —
 * is reported as a batch item failure: SQS delivers it again, and after three receives moves it
 * to the dead-letter queue. The others in the batch are applied and deleted.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { parseDomainEvent } from '@course/contract/events';
import type { SQSHandler, SQSRecord } from 'aws-lambda';
import { traceOf } from '../../events/outbox.ts';
import { loadFunctionConfig } from '../config.ts';
import { slotsEnvironment } from '../environment.ts';
import { applyEvent } from '../leaderboard.ts';

const { db, log } = slotsEnvironment(loadFunctionConfig());
const processor = new BatchProcessor(EventType.SQS);

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

export const handler: SQSHandler = (event, context) =>
  processPartialResponse(event, projectRecord, processor, {
    context,
    // A batch where every record failed is reported record by record too, not as an error.
    throwOnFullBatchFailure: false,
  });
