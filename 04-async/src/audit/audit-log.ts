import { PutObjectCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { DomainEvent } from '@course/contract/events';

/** Every event's object lives under this prefix. */
export const EVENTS_PREFIX = 'events/';

/**
 * Where an event is kept: `events/<yyyy>/<mm>/<dd>/<event id>.json`, by the UTC date of the
 * event's time (when it happened, not when it arrived). One key per event id makes the log
 * idempotent; the date folders let a reader (or Athena, partitioned by them) read one day.
 */
export function auditKeyOf(event: Pick<DomainEvent, 'id' | 'time'>): string {
  const day = new Date(event.time).toISOString().slice(0, 10).replaceAll('-', '/');
  return `${EVENTS_PREFIX}${day}/${event.id}.json`;
}

export type RecordResult = 'recorded' | 'already recorded';

/**
 * Writes the event's envelope, exactly as it was published (`body`), once. `IfNoneMatch: '*'`
 * makes the write conditional on the key being free: S3 answers a second write of the same
 * event 412 PreconditionFailed and keeps the first — the record exists, which is success. (A 409
 * ConditionalRequestConflict, another write of that key still in progress, is an error: the
 * message comes back and the retry then meets the 412.)
 */
export async function recordEvent(
  s3: S3Client,
  bucket: string,
  event: DomainEvent,
  body: string,
): Promise<RecordResult> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: auditKeyOf(event),
        Body: body,
        ContentType: 'application/json',
        IfNoneMatch: '*',
      }),
    );
    return 'recorded';
  } catch (err) {
    if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 412) {
      return 'already recorded';
    }
    throw err;
  }
}
