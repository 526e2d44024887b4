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
 * Both mark what SNS accepted (`published_at`), give every call to SNS a deadline (a dead SNS
 * never holds a request), and park a row that can never be published (`parked_at`) so that it
 * cannot stall the rows behind it. Between the publish and the mark either of them
 * can die, or both can publish the same row at once: an event may be published more than once.
 * That is at-least-once delivery, which SNS and SQS give anyway; every consumer is idempotent.
 */
import {
  PublishBatchCommand,
  type PublishBatchCommandOutput,
  SNSClient,
} from '@aws-sdk/client-sns';
import {
  type CreditsRefunded,
  type CreditsSpent,
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
  | { type: SpinSettled['type']; data: Omit<SpinSettled['data'], 'sequence'> }
  | { type: CreditsSpent['type']; data: Omit<CreditsSpent['data'], 'sequence'> }
  | { type: CreditsRefunded['type']; data: Omit<CreditsRefunded['data'], 'sequence'> };

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
  /** Set aside for a human: they will never publish as they are (see `recordFailure`). */
  parked: number;
  /** A whole PublishBatch call failed (SNS unreachable, too slow, throttling): stop for now. */
  stalled: boolean;
}

/** What the relay needs of an SNSClient: PublishBatch, with a deadline. */
export interface EventPublisher {
  send(
    command: PublishBatchCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<PublishBatchCommandOutput>;
}

/**
 * How long one PublishBatch call may take, its retry included. The SDK's HTTP handler waits
 * forever by default: an SNS endpoint that accepts the connection and never answers would hold
 * the write function until its own timeout, and the API would answer 5xx for a spin that has
 * moved money. With this deadline the relay gives up after 1.5 s (the row stays for the sweeper)
 * and the request is answered well inside the function's timeout.
 */
export const PUBLISH_DEADLINE_MS = 1_500;

/**
 * The SNS client of the functions that publish: one retry at most, and a connection that is not
 * up within half a second is abandoned, so the retry still fits in PUBLISH_DEADLINE_MS. The SDK
 * finds the region and, locally, the endpoint (AWS_ENDPOINT_URL_SNS) in the environment.
 */
export function eventsSnsClient(): SNSClient {
  return new SNSClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 500 } });
}

/**
 * How many times SNS may refuse one entry, for a reason that may pass (its fault, not ours),
 * before the row is parked. A whole call that fails does not count: an outage is not the row's
 * fault, and its rows must all go out once SNS is back.
 */
export const MAX_PUBLISH_ATTEMPTS = 5;

export interface OutboxRelayOptions {
  db: AsyncSlotsDatabase;
  /** An SNSClient (see eventsSnsClient); tests pass a recording fake too. */
  sns: EventPublisher;
  topicArn: string;
  clock?: () => Date;
}

/** A row of the outbox as the publishers read it. */
interface OutboxRow {
  position: bigint;
  id: string;
  event: Prisma.JsonValue;
}

const rowFields = { position: true, id: true, event: true } as const;

/** SNS takes at most ten messages per PublishBatch call. */
const PUBLISH_BATCH_SIZE = 10;

export function outboxRelay({ db, sns, topicArn, clock = () => new Date() }: OutboxRelayOptions) {
  /**
   * Publishes rows (oldest first) in batches of ten and marks what SNS accepted. A row that can
   * never be published is parked and the others go on; a call that fails as a whole stops the
   * pass (SNS is down or too slow: the next batches would only wait for their deadline too).
   */
  async function publishRows(
    rows: OutboxRow[],
    log: Logger,
    by: 'relay' | 'sweeper',
  ): Promise<PublishResult> {
    const result: PublishResult = { published: 0, failed: 0, parked: 0, stalled: false };
    const events: DomainEvent[] = [];
    for (const row of rows) {
      try {
        events.push(parseDomainEvent(row.event));
      } catch (err) {
        // Written after the same check, so only a row written before a contract change (or
        // edited by hand) gets here: it will fail the same way every time.
        const parked = await recordFailure(row.id, `breaks the event contract: ${messageOf(err)}`, {
          retryable: false,
          log: log.child({ ...traceOfRow(row), by }),
        });
        if (parked) result.parked += 1;
        else result.failed += 1;
      }
    }
    for (let start = 0; start < events.length; start += PUBLISH_BATCH_SIZE) {
      const batch = events.slice(start, start + PUBLISH_BATCH_SIZE);
      if (result.stalled) {
        result.failed += batch.length;
        continue;
      }
      const outcome = await publishBatch(batch, log, by);
      result.published += outcome.published;
      result.failed += outcome.failed;
      result.parked += outcome.parked;
      result.stalled = outcome.stalled;
    }
    return result;
  }

  async function publishBatch(
    batch: DomainEvent[],
    log: Logger,
    by: 'relay' | 'sweeper',
  ): Promise<PublishResult> {
    const byId = new Map(batch.map((event) => [event.id, event]));
    let answer: PublishBatchCommandOutput;
    try {
      answer = await sns.send(
        new PublishBatchCommand({
          TopicArn: topicArn,
          PublishBatchRequestEntries: batch.map((event) => ({
            Id: event.id,
            Message: JSON.stringify(event),
            MessageAttributes: messageAttributesOf(event),
          })),
        }),
        { abortSignal: AbortSignal.timeout(PUBLISH_DEADLINE_MS) },
      );
    } catch (err) {
      for (const event of batch) {
        log.warn({ ...traceOf(event), by, err }, 'event not published: the sweeper will retry');
      }
      return { published: 0, failed: batch.length, parked: 0, stalled: true };
    }

    const result: PublishResult = { published: 0, failed: 0, parked: 0, stalled: false };
    for (const failure of answer.Failed ?? []) {
      const event = failure.Id === undefined ? undefined : byId.get(failure.Id);
      if (!event) continue;
      // SenderFault: the request itself is wrong (too large, a bad attribute): it will be
      // refused the same way every time, so it is parked at once.
      const parked = await recordFailure(event.id, `${failure.Code}: ${failure.Message}`, {
        retryable: failure.SenderFault !== true,
        log: log.child({ ...traceOf(event), by, code: failure.Code }),
      });
      if (parked) result.parked += 1;
      else result.failed += 1;
    }
    const accepted = (answer.Successful ?? []).flatMap(({ Id }) => {
      const event = Id === undefined ? undefined : byId.get(Id);
      return event ? [event] : [];
    });

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
      return { ...result, failed: result.failed + accepted.length };
    }
    for (const event of accepted) {
      log.info({ ...traceOf(event), by, sequence: event.data.sequence }, 'event published');
    }
    return { ...result, published: accepted.length };
  }

  /**
   * Records why a row was not published, in one statement: its attempts go up, and it is parked
   * (`parked_at`) when the failure will not pass by itself, or after MAX_PUBLISH_ATTEMPTS. A parked
   * row is skipped by every later sweep, so it cannot hold the queue of rows behind it; it waits
   * for a human, who fixes it and clears `parked_at`. Never throws: returns whether it parked it.
   */
  async function recordFailure(
    id: string,
    reason: string,
    { retryable, log }: { retryable: boolean; log: Logger },
  ): Promise<boolean> {
    try {
      const [row] = await db.$queryRaw<{ attempts: number; parked: boolean }[]>`
        UPDATE outbox
        SET attempts = attempts + 1,
            last_error = ${reason},
            parked_at = CASE WHEN ${!retryable} OR attempts + 1 >= ${MAX_PUBLISH_ATTEMPTS}
                             THEN ${clock()} ELSE parked_at END
        WHERE id = ${id}::uuid AND published_at IS NULL
        RETURNING attempts, parked_at IS NOT NULL AS parked`;
      if (row?.parked) {
        log.error(
          { attempts: row.attempts, reason },
          'event parked: it will not be published until someone fixes it and clears parked_at',
        );
        return true;
      }
      log.warn({ attempts: row?.attempts, reason }, 'event not published: the sweeper will retry');
    } catch (err) {
      log.warn({ err, reason }, 'event not published, and its failure could not be recorded');
    }
    return false;
  }

  /**
   * One pass of the sweeper: publishes up to `limit` rows still unpublished `olderThanMs` after
   * they were written, oldest first, from the position after `after`. The delay leaves the relay
   * the time to publish its own rows, so the two rarely publish the same event (and it is
   * harmless when they do).
   */
  async function sweepPass(
    { olderThanMs, limit, after }: { olderThanMs: number; limit: number; after: bigint },
    log: Logger,
  ): Promise<PublishResult & { found: number; last: bigint }> {
    const rows = await db.outboxEvent.findMany({
      where: {
        publishedAt: null,
        parkedAt: null,
        position: { gt: after },
        createdAt: { lt: new Date(clock().getTime() - olderThanMs) },
      },
      orderBy: { position: 'asc' },
      take: limit,
      select: rowFields,
    });
    const published = await publishRows(rows, log, 'sweeper');
    return { found: rows.length, last: rows.at(-1)?.position ?? after, ...published };
  }

  return {
    /**
     * The relay: publishes the events a request just wrote (by id), those still unpublished.
     * Never throws, and takes at most PUBLISH_DEADLINE_MS per call to SNS: a failure is logged at
     * warn with the event's traceId and id, and the row waits for the sweeper — the request that
     * made the change has succeeded either way.
     */
    async publishEvents(ids: readonly string[], log: Logger): Promise<PublishResult> {
      const nothing: PublishResult = { published: 0, failed: 0, parked: 0, stalled: false };
      if (ids.length === 0) return nothing;
      let rows: OutboxRow[];
      try {
        rows = await db.outboxEvent.findMany({
          where: { id: { in: [...ids] }, publishedAt: null, parkedAt: null },
          orderBy: { position: 'asc' },
          select: rowFields,
        });
      } catch (err) {
        for (const eventId of ids) {
          log.warn({ eventId, err }, 'event not published: the sweeper will retry');
        }
        return { ...nothing, failed: ids.length };
      }
      return publishRows(rows, log, 'relay');
    },

    /**
     * The sweeper's run: passes of `passSize` rows, each starting after the last row the one
     * before it read, so a row that failed is not tried again in the same run and cannot hide
     * the rows behind it. Stops when a pass finds a short page (the backlog is done), when a
     * whole call to SNS failed (try again next run), or when `timeLeftMs()` gets short.
     */
    async sweepOutbox(
      {
        olderThanMs,
        passSize,
        timeLeftMs = () => Number.POSITIVE_INFINITY,
        marginMs = 0,
      }: { olderThanMs: number; passSize: number; timeLeftMs?: () => number; marginMs?: number },
      log: Logger,
    ): Promise<Omit<PublishResult, 'stalled'> & { found: number; stalled: boolean }> {
      const total = { found: 0, published: 0, failed: 0, parked: 0, stalled: false };
      let after = 0n;
      for (;;) {
        const pass = await sweepPass({ olderThanMs, limit: passSize, after }, log);
        total.found += pass.found;
        total.published += pass.published;
        total.failed += pass.failed;
        total.parked += pass.parked;
        total.stalled = pass.stalled;
        after = pass.last;
        if (pass.found < passSize || pass.stalled || timeLeftMs() < marginMs) return total;
      }
    },

    /** What the sweeper reports as metrics: how far behind the outbox is, and what is parked. */
    async health(): Promise<{ oldestUnpublishedAgeSeconds: number; parkedEvents: number }> {
      const [row] = await db.$queryRaw<{ oldest: Date | null; parked: bigint }[]>`
        SELECT min(created_at) FILTER (WHERE parked_at IS NULL) AS oldest,
               count(*) FILTER (WHERE parked_at IS NOT NULL) AS parked
        FROM outbox
        WHERE published_at IS NULL`;
      const oldest = row?.oldest;
      const ageMs = oldest ? Math.max(0, clock().getTime() - oldest.getTime()) : 0;
      return { oldestUnpublishedAgeSeconds: ageMs / 1000, parkedEvents: Number(row?.parked ?? 0) };
    },
  };
}

export type OutboxRelay = ReturnType<typeof outboxRelay>;

/** The fields every log line about an event carries, so one grep follows it through every hop. */
export function traceOf(event: DomainEvent | undefined): { traceId?: string; eventId?: string } {
  return event ? { traceId: event.traceId, eventId: event.id } : {};
}

/** The same, for a row whose event may not even parse: what can be read of it. */
function traceOfRow(row: OutboxRow): { traceId?: string; eventId: string } {
  const { event } = row;
  const traceId =
    typeof event === 'object' && event !== null && !Array.isArray(event)
      ? event.traceId
      : undefined;
  return { eventId: row.id, ...(typeof traceId === 'string' ? { traceId } : {}) };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
