import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { messageAttributesOf } from '@course/contract/events';
import type { TestDatabase } from '@course/local';
import { createLogger } from '@course/service-kit';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AsyncForumDatabase, createAsyncForumDb } from '../src/forum/db.ts';
import { pollJackpots } from '../src/forum/jackpot-poller.ts';
import { spinSettled, startForumTestDatabase } from './fixtures.ts';

const MAX_RECEIVE_COUNT = 3;

let database: TestDatabase;
let db: AsyncForumDatabase;
let fauxqs: FauxqsServer;
let sqs: SQSClient;

beforeAll(async () => {
  database = await startForumTestDatabase();
  db = createAsyncForumDb(database.url);
  fauxqs = await startFauxqs({ port: 0, host: '127.0.0.1', logger: false });
  sqs = new SQSClient({
    endpoint: `http://127.0.0.1:${fauxqs.port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  sqs?.destroy();
  await fauxqs?.stop();
  await db?.$disconnect();
  await database?.stop();
});

/** A jackpot queue and its DLQ, as the stage's app declares them (short timeouts for a test). */
let queue: { url: string; name: string; deadLetterName: string };
let stop: AbortController;
let polling: Promise<void> | undefined;

beforeEach(() => {
  const id = crypto.randomUUID().slice(0, 8);
  const deadLetter = fauxqs.createQueue(`jackpot-dlq-${id}`);
  const source = fauxqs.createQueue(`jackpot-${id}`, {
    attributes: {
      VisibilityTimeout: '1',
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: deadLetter.queueArn,
        maxReceiveCount: MAX_RECEIVE_COUNT,
      }),
    },
  });
  queue = { url: source.queueUrl, name: source.queueName, deadLetterName: deadLetter.queueName };
  stop = new AbortController();
});

afterEach(async () => {
  stop.abort();
  await polling;
});

function startPolling(waitTimeSeconds = 1) {
  polling = pollJackpots({
    sqs,
    queueUrl: queue.url,
    db,
    log: createLogger({ service: 'forum', level: 'silent' }),
    signal: stop.signal,
    waitTimeSeconds,
  });
  return polling;
}

async function send(body: string, attributes = {}) {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queue.url,
      MessageBody: body,
      MessageAttributes: attributes,
    }),
  );
}

const messagesIn = (name: string) => {
  const { messages } = fauxqs.inspectQueue(name) ?? { messages: undefined };
  return (
    (messages?.ready.length ?? 0) +
    (messages?.inflight.length ?? 0) +
    (messages?.delayed.length ?? 0)
  );
};

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the jackpot poller', () => {
  it('turns a big win into one forum post and deletes the message', async () => {
    const event = spinSettled();
    startPolling();

    await send(JSON.stringify(event), messageAttributesOf(event));

    await until(() => messagesIn(queue.name) === 0);
    expect(await db.announcement.count({ where: { eventId: event.id } })).toBe(1);
  });

  it('writes one post for an event delivered twice', async () => {
    const event = spinSettled();
    await send(JSON.stringify(event), messageAttributesOf(event));
    await send(JSON.stringify(event), messageAttributesOf(event));

    startPolling();

    await until(() => messagesIn(queue.name) === 0);
    expect(await db.post.count({ where: { announcement: { eventId: event.id } } })).toBe(1);
  });

  it('leaves a message that breaks the contract on the queue, until SQS moves it to the dead-letter queue', async () => {
    const good = spinSettled();
    await send('{"type":"SpinSettled","data":"not an event"}');
    await send(JSON.stringify(good), messageAttributesOf(good));

    startPolling();

    await until(() => messagesIn(queue.deadLetterName) === 1);
    expect(messagesIn(queue.name)).toBe(0);
    expect(await db.announcement.count({ where: { eventId: good.id } })).toBe(1);
  });

  it('stops during a long poll once aborted', async () => {
    const finished = startPolling(20);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const aborted = Date.now();

    stop.abort();
    await finished;

    expect(Date.now() - aborted).toBeLessThan(1_000);
  });

  it('backs off while SQS cannot be reached, instead of a hot loop', async () => {
    const unreachable = new SQSClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    let receives = 0;
    unreachable.middlewareStack.add(
      (next) => (args) => {
        receives += 1;
        return next(args);
      },
      { step: 'initialize' },
    );

    polling = pollJackpots({
      sqs: unreachable,
      queueUrl: queue.url,
      db,
      log: createLogger({ service: 'forum', level: 'silent' }),
      signal: stop.signal,
      backoffMs: 100,
      maxBackoffMs: 400,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    stop.abort();
    await polling;
    unreachable.destroy();

    // 100 + 200 + 400 + 400 ms of pauses fit in a second: about 4 tries, never hundreds.
    expect(receives).toBeGreaterThanOrEqual(2);
    expect(receives).toBeLessThanOrEqual(6);
  });

  /**
   * An SQS client on fauxqs whose calls are noted in `ops` (by command name) and may be made to
   * fail, and a logger noting its messages in the same list: the order in which things happened.
   */
  function observedPoller(failDeletes = false) {
    const ops: string[] = [];
    const lines: Record<string, unknown>[] = [];
    const client = new SQSClient({
      endpoint: `http://127.0.0.1:${fauxqs.port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName);
        if (name !== 'ReceiveMessageCommand') ops.push(name);
        if (failDeletes && name.startsWith('DeleteMessage')) throw new Error('delete refused');
        return next(args);
      },
      { step: 'initialize' },
    );
    const log = createLogger({
      service: 'forum',
      level: 'info',
      destination: {
        write: (line: string) => {
          const parsed = JSON.parse(line);
          lines.push(parsed);
          if (parsed.msg === 'big win handled') ops.push(`handled ${parsed.eventId}`);
        },
      },
    });
    polling = pollJackpots({
      sqs: client,
      queueUrl: queue.url,
      db,
      log,
      signal: stop.signal,
      waitTimeSeconds: 1,
    });
    return { ops, lines };
  }

  it('deletes each message right after its announcement commits, not the batch at the end', async () => {
    const events = [spinSettled(), spinSettled(), spinSettled()];
    for (const event of events) await send(JSON.stringify(event), messageAttributesOf(event));

    const { ops } = observedPoller();
    await until(() => messagesIn(queue.name) === 0);

    const handled = ops.filter((op) => op.startsWith('handled'));
    expect(handled).toHaveLength(3);
    expect(ops).toEqual(handled.flatMap((op) => [op, 'DeleteMessageCommand']));
  });

  it("warns with the event's traceId and eventId when a handled message cannot be deleted", async () => {
    const event = spinSettled();
    await send(JSON.stringify(event), messageAttributesOf(event));

    const { lines } = observedPoller(true);
    await until(() => lines.some((line) => line.msg?.toString().includes('not deleted')));

    expect(lines.find((line) => line.msg?.toString().includes('not deleted'))).toMatchObject({
      level: 'warn',
      traceId: event.traceId,
      eventId: event.id,
    });
    expect(await db.announcement.count({ where: { eventId: event.id } })).toBe(1);
  });
});
