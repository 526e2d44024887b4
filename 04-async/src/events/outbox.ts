/*
 * The transactional outbox and its relay. A use case that changes a wallet writes the event that
 * reports the change into the `outbox` table in the same transaction (`appendEvent`): the change
 * and its event commit together or not at all, so there is never a spin without its event, or an
 * event for a spin that was rolled back — what publishing to SNS from inside the transaction (or
 * after it) could not promise.
 *
 * Publishing comes after the commit, in two ways:
 * - the relay: the function that wrote the events publishes them as soon as its use case returns
 *   (`publishEvents`), so they usually arrive within milliseconds;
 * - the sweeper: a scheduled function publishes whatever is still unpublished a little later
 *   (`sweepOutbox`) — the relay crashed, timed out or SNS refused.
 * Both mark what SNS accepted (`published_at`). Between the publish and the mark either of them
 * can die, or both can publish the same row at once: an event may be published more than once.
 * That is at-least-once delivery, which SNS and SQS give anyway; every consumer is idempotent.
 */
import { PublishBatchCommand, type PublishBatchCommandOutput } from '@aws-sdk/client-sns';
import {
  type DomainEvent,
  messageAttributesOf,
  parseDomainEvent,
  type SpinSettled,
  type WalletOpened,
} from '@course/contract/events';
import type { Logger } from '@course/service-kit/core';
import type { Prisma } from '../generated/slots/client.ts';
import type { AsyncSlotsDatabase } from '../slots/database.ts';

/** What a producer says about an event; the outbox adds the envelope and the sequence. */
export type EventDraft =
  | { type: WalletOpened['type']; data: Omit<WalletOpened['data'], 'sequence'> }
  | { type: SpinSettled['type']; data: Omit<SpinSettled['data'], 'sequence'> };

export interface EventContext {
  /** The X-Request-Id of the request that caused the event. */
  traceId: string;
  /** When it happened. */
  time: Date;
}

/**
 * Writes one event into the outbox, inside the caller's transaction, and returns it.
 *
 * Its `data.sequence` is the row's position, drawn here, after the wallet change the caller
 * made in the same transaction: that change holds the wallet's row lock until the commit, so the
 * next change of the same wallet draws a higher position. The event is checked against the
 * contract before it is written: a producer's bug fails its own request (the transaction rolls
 * back) instead of reaching every consumer as a poison message.
 */
export async function appendEvent(
  tx: Prisma.TransactionClient,
  draft: EventDraft,
  { traceId, time }: EventContext,
): Promise<DomainEvent> {
  const [drawn] = await tx.$queryRaw<{ position: bigint }[]>`
    SELECT nextval(pg_get_serial_sequence('outbox', 'position')) AS position`;
  if (!drawn) throw new Error('the outbox sequence returned no value');
  const event = parseDomainEvent({
    id: crypto.randomUUID(),
    type: draft.type,
    version: 1,
    source: 'slots',
    time: time.toISOString(),
    traceId,
    data: { ...draft.data, sequence: Number(drawn.position) },
  });
  await tx.outboxEvent.create({
    data: { position: drawn.position, id: event.id, type: event.type, event, createdAt: time },
  });
  return event;
}

/** What one publishing pass did. */
export interface PublishResult {
  /** Accepted by SNS and marked published. */
  published: number;
  /** Left unpublished, for the next pass of the sweeper. */
  failed: number;
}

/** What the relay needs of an SNSClient: PublishBatch. */
export interface EventPublisher {
  send(command: PublishBatchCommand): Promise<PublishBatchCommandOutput>;
}

export interface OutboxRelayOptions {
  db: AsyncSlotsDatabase;
  /** An SNSClient; tests pass a recording fake too. */
  sns: EventPublisher;
  topicArn: string;
  clock?: () => Date;
}

/** SNS takes at most ten messages per PublishBatch call. */
const PUBLISH_BATCH_SIZE = 10;

export function outboxRelay({ db, sns, topicArn, clock = () => new Date() }: OutboxRelayOptions) {
  /** Publishes rows (oldest first) in batches of ten and marks what SNS accepted. */
  async function publishRows(
    rows: { id: string; event: Prisma.JsonValue }[],
    log: Logger,
    by: 'relay' | 'sweeper',
  ): Promise<PublishResult> {
    const result: PublishResult = { published: 0, failed: 0 };
    const events: DomainEvent[] = [];
    for (const row of rows) {
      try {
        events.push(parseDomainEvent(row.event));
      } catch (err) {
        // Written after the same check, so only a hand-edited row gets here: leave it for a human.
        log.error({ err, eventId: row.id }, 'outbox row is not a valid event: not published');
        result.failed += 1;
      }
    }
    for (let start = 0; start < events.length; start += PUBLISH_BATCH_SIZE) {
      const batch = events.slice(start, start + PUBLISH_BATCH_SIZE);
      const { published, failed } = await publishBatch(batch, log, by);
      result.published += published;
      result.failed += failed;
    }
    return result;
  }

  async function publishBatch(
    batch: DomainEvent[],
    log: Logger,
    by: 'relay' | 'sweeper',
  ): Promise<PublishResult> {
    const byId = new Map(batch.map((event) => [event.id, event]));
    let accepted: DomainEvent[];
    try {
      const answer = await sns.send(
        new PublishBatchCommand({
          TopicArn: topicArn,
          PublishBatchRequestEntries: batch.map((event) => ({
            Id: event.id,
            Message: JSON.stringify(event),
            MessageAttributes: messageAttributesOf(event),
          })),
        }),
      );
      for (const failure of answer.Failed ?? []) {
        const event = failure.Id === undefined ? undefined : byId.get(failure.Id);
        log.warn(
          { ...traceOf(event), by, code: failure.Code, reason: failure.Message },
          'event not published: SNS refused it, the sweeper will retry',
        );
      }
      accepted = (answer.Successful ?? []).flatMap(({ Id }) => {
        const event = Id === undefined ? undefined : byId.get(Id);
        return event ? [event] : [];
      });
    } catch (err) {
      for (const event of batch) {
        log.warn({ ...traceOf(event), by, err }, 'event not published: the sweeper will retry');
      }
      return { published: 0, failed: batch.length };
    }

    try {
      await db.outboxEvent.updateMany({
        where: { id: { in: accepted.map((event) => event.id) }, publishedAt: null },
        data: { publishedAt: clock() },
      });
    } catch (err) {
      // Published but not marked: the sweeper will publish these again (consumers are idempotent).
      for (const event of accepted) {
        log.warn({ ...traceOf(event), by, err }, 'event published but not marked as published');
      }
      return { published: 0, failed: batch.length };
    }
    for (const event of accepted) {
      log.info({ ...traceOf(event), by, sequence: event.data.sequence }, 'event published');
    }
    return { published: accepted.length, failed: batch.length - accepted.length };
  }

  return {
    /**
     * The relay: publishes the events a request just wrote (by id), those still unpublished.
     * Never throws: a failure is logged at warn with the event's traceId and id, and the row
     * waits for the sweeper — the request that made the change has succeeded either way.
     */
    async publishEvents(ids: readonly string[], log: Logger): Promise<PublishResult> {
      if (ids.length === 0) return { published: 0, failed: 0 };
      let rows: { id: string; event: Prisma.JsonValue }[];
      try {
        rows = await db.outboxEvent.findMany({
          where: { id: { in: [...ids] }, publishedAt: null },
          orderBy: { position: 'asc' },
          select: { id: true, event: true },
        });
      } catch (err) {
        for (const eventId of ids) {
          log.warn({ eventId, err }, 'event not published: the sweeper will retry');
        }
        return { published: 0, failed: ids.length };
      }
      return publishRows(rows, log, 'relay');
    },

    /**
     * The sweeper's pass: publishes up to `limit` rows still unpublished `olderThanMs` after they
     * were written, oldest first. The delay leaves the relay the time to publish its own rows, so
     * the two rarely publish the same event (and it is harmless when they do).
     */
    async sweepOutbox(
      { olderThanMs, limit }: { olderThanMs: number; limit: number },
      log: Logger,
    ): Promise<PublishResult & { found: number }> {
      const rows = await db.outboxEvent.findMany({
        where: { publishedAt: null, createdAt: { lt: new Date(clock().getTime() - olderThanMs) } },
        orderBy: { position: 'asc' },
        take: limit,
        select: { id: true, event: true },
      });
      return { found: rows.length, ...(await publishRows(rows, log, 'sweeper')) };
    },
  };
}

export type OutboxRelay = ReturnType<typeof outboxRelay>;

/** The fields every log line about an event carries, so one grep follows it through every hop. */
export function traceOf(event: DomainEvent | undefined): { traceId?: string; eventId?: string } {
  return event ? { traceId: event.traceId, eventId: event.id } : {};
}
