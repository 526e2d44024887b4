import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type DomainEvent, parseDomainEvent } from '@course/contract/events';
import { spinRequest } from '@course/serverless/lambda/event';
import type { HttpHandler } from '@course/serverless/lambda/http';
import { type EventOptions, httpEvent, lambdaContext } from '@course/serverless/test/events';
import { serveJwks } from '@course/serverless/test/jwks';
import { createTokenIssuer, type TokenIssuer } from '@course/service-kit/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RanksEvent, RanksResult } from '../../src/slots/functions/ranks.ts';
import { applyEvent } from '../../src/slots/leaderboard.ts';
import { asyncSlotsStore } from '../../src/slots/store.ts';
import {
  fauxqsForThisFile,
  localAws,
  newPlayer,
  slotsDatabaseForThisFile,
  sqsRecord,
  stubFunctionEnvironment,
} from './support.ts';

/*
 * The slots functions of stage 04, imported as Lambda loads them (their environment read once,
 * at init), called with fixture events (checked by Powertools' schemas) over a fresh slots
 * database, a users JWKS served here, and SNS and SQS served by fauxqs: a topic with the
 * leaderboard's queue subscribed by raw delivery, as the stage's CDK app makes them.
 */

const database = slotsDatabaseForThisFile('slots_handlers_test');
const fauxqs = fauxqsForThisFile();
const { region, credentials } = localAws;

let sqs: SQSClient;
let queueUrl: string;
let jwks: Awaited<ReturnType<typeof serveJwks>>;
let issuer: TokenIssuer;
let write: HttpHandler;
let read: HttpHandler;
let ranks: (event: RanksEvent) => Promise<RanksResult>;
let project: (event: SQSEvent) => Promise<SQSBatchResponse>;
let sweep: () => Promise<void>;

/** The topic, with the leaderboard's queue subscribed by raw delivery. */
function subscribeLeaderboardQueue() {
  return fauxqs.subscribedQueue('Events', 'Leaderboard');
}

beforeAll(async () => {
  const endpoint = fauxqs.endpoint;
  const subscribed = subscribeLeaderboardQueue();
  const topicArn = subscribed.topicArn;
  queueUrl = subscribed.queueUrl;
  sqs = new SQSClient({ endpoint, region, credentials });
  issuer = await createTokenIssuer({ issuer: 'users' });
  jwks = await serveJwks(issuer);
  stubFunctionEnvironment({
    databaseUrl: database.url,
    jwksUrl: jwks.url,
    topicArn,
    snsEndpoint: endpoint,
  });
  write = (await import('../../src/slots/functions/write.ts')).handler;
  read = (await import('../../src/slots/functions/read.ts')).handler;
  const ranksHandler = (await import('../../src/slots/functions/ranks.ts')).handler;
  ranks = async (event) => (await ranksHandler(event, lambdaContext(), () => {})) as RanksResult;
  const projector = (await import('../../src/slots/functions/project-leaderboard.ts')).handler;
  project = async (event) =>
    (await projector(event, lambdaContext(), () => {})) as SQSBatchResponse;
  const sweeper = (await import('../../src/slots/functions/sweep-outbox.ts')).handler;
  sweep = async () => {
    await sweeper(scheduledEvent(), lambdaContext(30_000), () => {});
  };
}, 120_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await jwks?.close();
});
beforeEach(() => {
  fauxqs.server.reset();
});

async function player() {
  const user = newPlayer();
  return { ...user, token: await issuer.issue(user) };
}

function call(handler: HttpHandler, event: EventOptions, context: Context = lambdaContext()) {
  return handler(httpEvent(event), context);
}

const leaderboardRequest: EventOptions = {
  routeKey: 'GET /api/slots/leaderboard',
  method: 'GET',
  path: '/api/slots/leaderboard',
};

/** What the leaderboard queue holds now, taken off it, as an event source mapping would. */
async function drainQueue(): Promise<SQSRecord[]> {
  const records: SQSRecord[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 0,
      }),
    );
    if (Messages.length === 0) return records;
    for (const message of Messages) {
      const attributes = Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          value.StringValue ?? '',
        ]),
      );
      records.push(sqsRecord(message.Body ?? '', attributes));
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, i) => ({
          Id: String(i),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
  }
}

function eventsOf(records: SQSRecord[]): DomainEvent[] {
  return records.map((record) => parseDomainEvent(record.body));
}

describe('the write function', () => {
  it("settles a spin (201, slots@04) and publishes its events, traced by the request's X-Request-Id", async () => {
    const { id, token } = await player();

    const answer = await write(
      httpEvent({
        ...spinRequest(token, { bet: 3 }),
        headers: { ...spinRequest(token, { bet: 3 }).headers, 'x-request-id': 'spin-trace-1' },
      }),
      lambdaContext(),
    );

    expect(answer.statusCode).toBe(201);
    expect(answer.headers?.['x-served-by']).toBe('slots@04 (lambda)');
    const events = eventsOf(await drainQueue());
    expect(events.map((event) => [event.type, event.traceId, event.data.playerId])).toEqual([
      ['WalletOpened', 'spin-trace-1', id],
      ['SpinSettled', 'spin-trace-1', id],
    ]);
    const unpublished = await database.db.outboxEvent.count({ where: { publishedAt: null } });
    expect(unpublished).toBe(0);
  });

  it('answers 201 when SNS refuses the events, and leaves them in the outbox for the sweeper', async () => {
    const { id, token } = await player();
    fauxqs.server.deleteTopic('Events');

    const answer = await call(write, spinRequest(token, { bet: 1 }));
    subscribeLeaderboardQueue();

    expect(answer.statusCode).toBe(201);
    const left = await database.db.outboxEvent.findMany({ where: { publishedAt: null } });
    expect(left.map((row) => parseDomainEvent(row.event).data.playerId)).toEqual([id, id]);
    // Leave nothing behind for the other tests' sweeps.
    await database.db.outboxEvent.updateMany({ data: { publishedAt: new Date() } });
  });
});

describe('the leaderboard projector and the leaderboard', () => {
  it('applies the events of the queue, and the leaderboard shows the player as of the newest', async () => {
    const { id, username, token } = await player();
    const spin = JSON.parse((await call(write, spinRequest(token, { bet: 2 }))).body ?? '{}');
    const records = await drainQueue();

    const response = await project({ Records: records });
    const leaderboard = JSON.parse((await call(read, leaderboardRequest)).body ?? '{}');

    expect(response).toEqual({ batchItemFailures: [] });
    const newest = eventsOf(records).at(-1);
    expect(leaderboard.items).toContainEqual(
      expect.objectContaining({ userId: id, username, balance: spin.balance }),
    );
    expect(leaderboard.asOf).toBe(newest?.time);
  });

  it('reports events that break the contract as batch item failures and applies the others', async () => {
    const { id, token } = await player();
    await call(write, spinRequest(token, { bet: 1 }));
    const good = await drainQueue();
    const notJson = sqsRecord('not json', { traceId: 'poison-1' });
    const notAnEvent = sqsRecord(JSON.stringify({ type: 'SpinSettled', data: {} }));

    const response = await project({ Records: [notJson, ...good, notAnEvent] });

    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: notJson.messageId },
      { itemIdentifier: notAnEvent.messageId },
    ]);
    const row = await database.db.leaderboardEntry.findUnique({ where: { playerId: id } });
    expect(row?.sequence).toBe(BigInt(eventsOf(good).at(-1)?.data.sequence ?? 0));
  });

  it("gives the forum's badges from the projection, not from the wallets: the ranks the leaderboard shows", async () => {
    // A player the projection holds richer than their wallet: a synthetic event, newer than
    // anything the player did, as if a spin's event were applied before the wallets caught up.
    const { id, username, token } = await player();
    await call(write, spinRequest(token, { bet: 1 }));
    const [last] = eventsOf(await drainQueue()).slice(-1);
    if (!last) throw new Error('the spin published no event');
    const richest = 1_000_000_000;
    const synthetic = parseDomainEvent({
      ...last,
      id: crypto.randomUUID(),
      data: { ...last.data, balance: richest, sequence: last.data.sequence + 1_000_000 },
    });
    await applyEvent(database.db, synthetic);
    const wallet = await database.db.wallet.findUniqueOrThrow({ where: { userId: id } });

    const result = await ranks({ players: [id, crypto.randomUUID()] });
    const leaderboard = JSON.parse((await call(read, leaderboardRequest)).body ?? '{}');

    expect(wallet.balance).toBeLessThan(richest);
    expect(leaderboard.items[0]).toEqual({ rank: 1, userId: id, username, balance: richest });
    expect(result.ranks).toEqual([{ userId: id, rank: 1 }]);
  });
});

describe('the sweeper', () => {
  it('publishes an event its relay never published (the function died after the commit)', async () => {
    // A wallet opened 20 s ago by a request whose function stopped before its relay ran.
    const opened = newPlayer();
    const store = asyncSlotsStore(database.db, {
      traceId: 'crashed-before-publish',
      clock: () => new Date(Date.now() - 20_000),
    });
    await store.ensureWallet(opened, 1000);

    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let written: unknown[][];
    try {
      await sweep();
    } finally {
      written = [...stdout.mock.calls];
      stdout.mockRestore();
    }

    const events = eventsOf(await drainQueue());
    expect(events).toEqual([
      expect.objectContaining({ type: 'WalletOpened', traceId: 'crashed-before-publish' }),
    ]);
    const row = await database.db.outboxEvent.findUniqueOrThrow({
      where: { id: store.writtenEvents()[0] ?? '' },
    });
    expect(row.publishedAt).not.toBeNull();
    // Its run ends with one Embedded Metric Format line, for the outbox's alarms.
    const emf = written.map(([line]) => JSON.parse(String(line)));
    expect(emf).toEqual([
      expect.objectContaining({
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [
            {
              Namespace: 'Course/Outbox',
              Dimensions: [['FunctionName']],
              Metrics: [
                { Name: 'OldestUnpublishedAgeSeconds', Unit: 'Seconds' },
                { Name: 'ParkedEvents', Unit: 'Count' },
                { Name: 'PublishedEvents', Unit: 'Count' },
              ],
            },
          ],
        },
        FunctionName: lambdaContext().functionName,
        OldestUnpublishedAgeSeconds: 0,
        ParkedEvents: 0,
        PublishedEvents: 1,
      }),
    ]);
  });
});

/** The event an EventBridge schedule sends (the sweeper reads none of it). */
function scheduledEvent() {
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Scheduled Event' as const,
    source: 'aws.events' as const,
    account: '123456789012',
    time: new Date().toISOString(),
    region,
    resources: ['arn:aws:events:us-east-1:123456789012:rule/OutboxSweeperSchedule'],
    detail: {},
  };
}
