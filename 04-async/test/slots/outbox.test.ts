import { SNSClient } from '@aws-sdk/client-sns';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type DomainEvent, parseDomainEvent } from '@course/contract/events';
import { slotsUseCases } from '@course/monolith/slots/use-cases';
import { HttpError } from '@course/service-kit/core';
import { describe, expect, it } from 'vitest';
import {
  appendEvent,
  type EventDraft,
  type EventPublisher,
  MAX_PUBLISH_ATTEMPTS,
  outboxRelay,
} from '../../src/events/outbox.ts';
import { asyncSlotsStore } from '../../src/slots/store.ts';
import {
  fauxqsForThisFile,
  localAws,
  newPlayer,
  recordingLog,
  recordingSns,
  silentLog,
  slotsDatabaseForThisFile,
} from './support.ts';

/*
 * The outbox on a real database: each event written in the transaction of the change it reports,
 * then published by the relay or, when that failed, by the sweeper.
 */

const database = slotsDatabaseForThisFile('slots_outbox_test');
const fauxqs = fauxqsForThisFile();
const STARTING_BALANCE = 1000;

async function outboxOf(playerId: string) {
  const rows = await database.db.outboxEvent.findMany({ orderBy: { position: 'asc' } });
  return rows
    .map((row) => ({ ...row, event: parseDomainEvent(row.event) }))
    .filter((row) => row.event.data.playerId === playerId);
}

function slotsFor(traceId: string = crypto.randomUUID()) {
  const store = asyncSlotsStore(database.db, { traceId });
  return { store, slots: slotsUseCases({ store }) };
}

describe('the outbox, written with the wallet change', () => {
  it('opens a wallet with one WalletOpened, and writes none when the wallet exists', async () => {
    const player = newPlayer();
    const first = slotsFor('trace-open');

    await first.slots.wallet(player);
    await slotsFor().slots.wallet(player);

    const rows = await outboxOf(player.id);
    expect(rows.map((row) => row.event)).toEqual([
      expect.objectContaining({
        type: 'WalletOpened',
        traceId: 'trace-open',
        data: {
          playerId: player.id,
          username: player.username,
          balance: STARTING_BALANCE,
          sequence: Number(rows[0]?.position),
        },
      }),
    ]);
    expect(first.store.writtenEvents()).toEqual([rows[0]?.id]);
  });

  it("settles a spin with its SpinSettled: the spin's numbers, the request's trace id, the row's position", async () => {
    const player = newPlayer();
    const { slots, store } = slotsFor('trace-spin');

    const { spin } = await slots.spin(player, { body: { bet: 7 }, idempotencyKey: undefined });

    const [opened, settled] = await outboxOf(player.id);
    expect(settled?.event).toEqual({
      id: settled?.id,
      type: 'SpinSettled',
      version: 1,
      source: 'slots',
      time: expect.any(String),
      traceId: 'trace-spin',
      data: expect.objectContaining({
        playerId: player.id,
        username: player.username,
        spinId: spin.id,
        bet: 7,
        payout: spin.payout,
        balance: spin.balance,
        reels: spin.reels,
        sequence: Number(settled?.position),
      }),
    });
    expect(Number(settled?.position)).toBeGreaterThan(Number(opened?.position));
    expect(store.writtenEvents()).toEqual([opened?.id, settled?.id]);
  });

  it('writes no event for a refused spin or a replayed one', async () => {
    const player = newPlayer();
    await slotsFor().slots.wallet(player);
    await database.db.wallet.update({ where: { userId: player.id }, data: { balance: 3 } });
    const refused = slotsFor();
    const first = slotsFor();
    const replay = slotsFor();

    const refusal = await refused.slots
      .spin(player, { body: { bet: 5 }, idempotencyKey: undefined })
      .catch((err: unknown) => err);
    await first.slots.spin(player, { body: { bet: 1 }, idempotencyKey: 'once' });
    const again = await replay.slots.spin(player, { body: { bet: 1 }, idempotencyKey: 'once' });

    expect(refusal).toBeInstanceOf(HttpError);
    expect(again.replayed).toBe(true);
    const types = (await outboxOf(player.id)).map((row) => row.event.type);
    expect(types).toEqual(['WalletOpened', 'SpinSettled']);
    expect(refused.store.writtenEvents()).toEqual([]);
    expect(replay.store.writtenEvents()).toEqual([]);
  });

  it('rolls a spin back with its event: an event that breaks the contract fails the spin, no debit, no row', async () => {
    // A wallet whose username the contract refuses (over 64 characters), written as an older
    // stage could have: the SpinSettled that names it cannot be written.
    const player = newPlayer('x'.repeat(65));
    await database.db.wallet.create({
      data: { userId: player.id, username: player.username, balance: STARTING_BALANCE },
    });
    const { slots, store } = slotsFor();

    const failure = await slots
      .spin(player, { body: { bet: 10 }, idempotencyKey: undefined })
      .catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(Error);
    expect(await database.db.spin.count({ where: { userId: player.id } })).toBe(0);
    const wallet = await database.db.wallet.findUniqueOrThrow({ where: { userId: player.id } });
    expect(wallet.balance).toBe(STARTING_BALANCE);
    expect(await outboxOf(player.id)).toEqual([]);
    expect(store.writtenEvents()).toEqual([]);
  });

  it("gives a player's concurrent spins sequences in the order of their balance history", async () => {
    const player = newPlayer();
    await slotsFor().slots.wallet(player);
    const bets = Array.from({ length: 16 }, (_, i) => 1 + (i % 5));

    await Promise.all(
      bets.map((bet) =>
        slotsFor().slots.spin(player, { body: { bet }, idempotencyKey: undefined }),
      ),
    );

    // Replayed in sequence order, each event's balance follows from the one before it.
    const events = (await outboxOf(player.id)).map((row) => row.event);
    expect(events).toHaveLength(bets.length + 1);
    let balance = STARTING_BALANCE;
    for (const event of events.slice(1)) {
      if (event.type !== 'SpinSettled') throw new Error(`unexpected ${event.type}`);
      expect(event.data.balance).toBe(balance - event.data.bet + event.data.payout);
      balance = event.data.balance;
    }
    const wallet = await database.db.wallet.findUniqueOrThrow({ where: { userId: player.id } });
    expect(wallet.balance).toBe(balance);
  });
});

describe('the relay and the sweeper', () => {
  /** A relay over the test database, publishing to `sns`, its clock `ms` from now. */
  function relayVia(
    sns: EventPublisher,
    { ms = 0, topicArn = 'arn:aws:sns:us-east-1:000000000000:Events' } = {},
  ) {
    const now = Date.now();
    return outboxRelay({ db: database.db, sns, topicArn, clock: () => new Date(now + ms) });
  }

  async function unpublished(ids: readonly string[]) {
    const rows = await database.db.outboxEvent.findMany({
      where: { id: { in: [...ids] }, publishedAt: null },
    });
    return rows.map((row) => row.id);
  }

  /** A request that opens a wallet and spins `spins` times: its store wrote spins + 1 events. */
  async function requestWithEvents(spins: number) {
    const player = newPlayer();
    const { slots, store } = slotsFor();
    for (let i = 0; i < spins; i += 1) {
      await slots.spin(player, { body: { bet: 1 }, idempotencyKey: undefined });
    }
    return store.writtenEvents();
  }

  it("publishes what a request wrote, ten per batch, with the contract's message attributes, and marks it", async () => {
    const ids = await requestWithEvents(22);
    const { sns, batches } = recordingSns();
    const relay = relayVia(sns);

    const result = await relay.publishEvents(ids, silentLog);

    expect(result).toEqual({ published: 23, failed: 0, parked: 0, stalled: false });
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 3]);
    const entries = batches.flat();
    expect(entries.map((entry) => entry.Id)).toEqual(ids);
    const spin = parseDomainEvent(entries[1]?.Message);
    expect(entries[1]?.MessageAttributes).toEqual({
      type: { DataType: 'String', StringValue: 'SpinSettled' },
      traceId: { DataType: 'String', StringValue: spin.traceId },
      payoutMultiple: {
        DataType: 'Number',
        StringValue: String(spin.type === 'SpinSettled' && spin.data.payout / spin.data.bet),
      },
    });
    expect(await unpublished(ids)).toEqual([]);
  });

  it('leaves what SNS refused unpublished without throwing, and the sweeper publishes it after the grace', async () => {
    const ids = await requestWithEvents(2);
    const refusedId = ids[1] ?? '';
    const refusing = recordingSns(() => ({ refuse: [refusedId] }));

    const relayed = await relayVia(refusing.sns).publishEvents(ids, silentLog);
    const { sns, batches } = recordingSns();
    const sweeperAt = (ms: number) => relayVia(sns, { ms });
    const early = await sweeperAt(0).sweepOutbox({ olderThanMs: 10_000, passSize: 100 }, silentLog);
    const stillThere = await unpublished(ids);
    await sweeperAt(11_000).sweepOutbox({ olderThanMs: 10_000, passSize: 100 }, silentLog);

    expect(relayed).toEqual({ published: 2, failed: 1, parked: 0, stalled: false });
    expect(stillThere).toEqual([refusedId]);
    expect(early.found).toBe(0);
    expect(batches.flat().map((entry) => entry.Id)).toContain(refusedId);
    expect(await unpublished(ids)).toEqual([]);
  });

  it('publishes nothing and throws nothing when SNS cannot be reached', async () => {
    const ids = await requestWithEvents(1);
    const { sns } = recordingSns(() => new Error('connect ECONNREFUSED'));
    const relay = relayVia(sns);

    const result = await relay.publishEvents(ids, silentLog);

    expect(result).toEqual({ published: 0, failed: 2, parked: 0, stalled: true });
    expect(await unpublished(ids)).toEqual(ids);
  });

  it('publishes through the SDK to a topic whose subscribed queue receives the envelope (fauxqs)', async () => {
    // Arrange: a topic with a queue subscribed by raw delivery, as the stage's CDK app makes them.
    const ids = await requestWithEvents(1);
    const { topicArn, queueUrl } = fauxqs.subscribedQueue('Events', 'Audit');
    const { region, credentials } = localAws;
    const endpoint = fauxqs.endpoint;
    const relay = relayVia(new SNSClient({ endpoint, region, credentials }), { topicArn });
    const sqs = new SQSClient({ endpoint, region, credentials });

    // Act
    const result = await relay.publishEvents(ids, silentLog);
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    );

    // Assert: the body is the outbox's envelope, the trace id readable before the body.
    expect(result).toEqual({ published: 2, failed: 0, parked: 0, stalled: false });
    const messages = received.Messages ?? [];
    const events: DomainEvent[] = messages.map((message) => parseDomainEvent(message.Body));
    expect(events.map((event) => event.id).sort()).toEqual([...ids].sort());
    for (const [i, message] of messages.entries()) {
      expect(message.MessageAttributes?.traceId?.StringValue).toBe(events[i]?.traceId);
    }
  });

  /** `count` WalletOpened rows written `agoMs` ago, in one transaction; their ids, oldest first. */
  async function oldEvents(count: number, agoMs = 20_000): Promise<string[]> {
    const time = new Date(Date.now() - agoMs);
    return database.db.$transaction(async (tx) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i += 1) {
        const { id, username } = newPlayer();
        const draft: EventDraft = {
          type: 'WalletOpened',
          data: { playerId: id, username, balance: 1000 },
        };
        ids.push((await appendEvent(tx, draft, { traceId: `old-${i}`, time })).id);
      }
      return ids;
    });
  }

  /** A row no event parses from, as one written before a contract change would be. */
  async function brokenRow(agoMs = 20_000): Promise<string> {
    const id = crypto.randomUUID();
    await database.db.outboxEvent.create({
      data: {
        id,
        type: 'SpinSettled',
        event: { id, type: 'SpinSettled', traceId: 'broken-trace', data: {} },
        createdAt: new Date(Date.now() - agoMs),
      },
    });
    return id;
  }

  const parkedLines = (lines: Record<string, unknown>[], eventId: string) =>
    lines.filter((line) => line.eventId === eventId && line.level === 'error');

  it('parks a row that breaks the contract and publishes the 250 behind it in one run, logging the parked row once', async () => {
    const broken = await brokenRow();
    const good = await oldEvents(250);
    const { sns, batches } = recordingSns();
    const { log, lines } = recordingLog();
    const sweeper = relayVia(sns);

    const first = await sweeper.sweepOutbox({ olderThanMs: 10_000, passSize: 100 }, log);
    const second = await sweeper.sweepOutbox({ olderThanMs: 10_000, passSize: 100 }, log);

    expect(await unpublished(good)).toEqual([]);
    const sent = new Set(batches.flat().map((entry) => entry.Id));
    expect(good.every((id) => sent.has(id))).toBe(true);
    expect(sent.has(broken)).toBe(false);
    expect(first).toMatchObject({ parked: 1, stalled: false });
    expect(first.published).toBeGreaterThanOrEqual(250);
    expect(second.parked).toBe(0);
    const row = await database.db.outboxEvent.findUniqueOrThrow({ where: { id: broken } });
    expect(row.parkedAt).not.toBeNull();
    expect(row.publishedAt).toBeNull();
    expect(row.lastError).toMatch(/breaks the event contract/);
    expect(parkedLines(lines, broken)).toEqual([
      expect.objectContaining({ traceId: 'broken-trace', by: 'sweeper' }),
    ]);
    expect(await sweeper.health()).toMatchObject({ parkedEvents: expect.any(Number) });
    expect((await sweeper.health()).parkedEvents).toBeGreaterThanOrEqual(1);
  });

  it("parks an entry SNS refuses as the sender's fault at once, and the others of its batch are published", async () => {
    const [refused = '', ...others] = await oldEvents(3);
    const { sns } = recordingSns(() => ({ refuse: [refused], senderFault: true }));
    const { log, lines } = recordingLog();

    const result = await relayVia(sns).publishEvents([refused, ...others], log);

    expect(result).toEqual({ published: 2, failed: 0, parked: 1, stalled: false });
    expect(await unpublished([refused, ...others])).toEqual([refused]);
    const row = await database.db.outboxEvent.findUniqueOrThrow({ where: { id: refused } });
    expect(row).toMatchObject({ attempts: 1, lastError: 'InvalidParameter: refused by the test' });
    expect(row.parkedAt).not.toBeNull();
    expect(parkedLines(lines, refused)).toHaveLength(1);
  });

  it(`retries an entry SNS refuses for its own fault, and parks it after ${MAX_PUBLISH_ATTEMPTS} refusals`, async () => {
    const [refused = ''] = await oldEvents(1);
    const { sns } = recordingSns(() => ({ refuse: [refused] }));
    const relay = relayVia(sns);
    const attempts: { parked: boolean; attempts: number }[] = [];

    for (let i = 0; i < MAX_PUBLISH_ATTEMPTS; i += 1) {
      await relay.publishEvents([refused], silentLog);
      const row = await database.db.outboxEvent.findUniqueOrThrow({ where: { id: refused } });
      attempts.push({ parked: row.parkedAt !== null, attempts: row.attempts });
    }

    expect(attempts).toEqual(
      Array.from({ length: MAX_PUBLISH_ATTEMPTS }, (_, i) => ({
        attempts: i + 1,
        parked: i + 1 === MAX_PUBLISH_ATTEMPTS,
      })),
    );
  });

  it('stops a run at the first call that fails as a whole, and counts no attempt against the rows', async () => {
    const ids = await oldEvents(25);
    const { sns, batches } = recordingSns(() => new Error('connect ETIMEDOUT'));

    const result = await relayVia(sns).sweepOutbox(
      { olderThanMs: 10_000, passSize: 100 },
      silentLog,
    );

    expect(batches).toHaveLength(1);
    expect(result).toMatchObject({ published: 0, parked: 0, stalled: true });
    const rows = await database.db.outboxEvent.findMany({ where: { id: { in: ids } } });
    expect(rows.map((row) => [row.attempts, row.parkedAt])).toEqual(ids.map(() => [0, null]));
    // Leave nothing behind for the other tests' sweeps.
    await database.db.outboxEvent.updateMany({
      where: { id: { in: ids } },
      data: { publishedAt: new Date() },
    });
  });
});
