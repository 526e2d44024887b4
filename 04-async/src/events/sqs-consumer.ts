import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSHandler, SQSRecord } from 'aws-lambda';

/**
 * The handler of a consumer behind an SQS event source mapping with ReportBatchItemFailures:
 * each record is handled on its own, and one that throws is reported as a batch item failure, so
 * only it comes back (after the queue's maxReceiveCount, to the dead-letter queue). Every
 * consumer of this stage is built with it, so all of them report failures the same way.
 *
 * throwOnFullBatchFailure: false — a batch where every record failed is reported record by
 * record too, instead of as an error of the invocation. For SQS the outcome is the same (every
 * record comes back and counts a receive), but the function's Errors metric keeps meaning "the
 * code crashed", and poison messages are watched where they end up: the dead-letter queues'
 * alarms.
 */
export function sqsConsumer(handleRecord: (record: SQSRecord) => Promise<void>): SQSHandler {
  const processor = new BatchProcessor(EventType.SQS);
  return (event, context) =>
    processPartialResponse(event, handleRecord, processor, {
      context,
      throwOnFullBatchFailure: false,
    });
}
