import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { settleBatch } from '../src/messaging/batch-response.ts';
import { DEFAULT_MAXIMUM_CONCURRENCY, startMessaging } from '../src/messaging/index.ts';
import { LocalAwsError } from '../src/model.ts';
import {
  aFunction,
  aMapping,
  aModel,
  aQueue,
  eventually,
  StubInvoker,
  sleep,
  startConsumer,
  stopStarted,
} from './messaging-fixture.ts';

// Every test runs at a time scale of 0.1: a visibility timeout of 5 s lasts 500 ms.
afterEach(stopStarted);

const receiveCounts = (calls: { event: unknown }[]) =>
  calls.map((call) => (call.event as SQSEvent).Records[0]?.attributes.ApproximateReceiveCount);

describe('an event source mapping', () => {
  it('hands the function a batch, queued behind busy environments, and deletes it after success', async () => {
    const { send, delivered, invoker, remaining } = await startConsumer(
      aQueue('orders'),
      () => undefined,
    );

    await send('orders', 'a', 'b', 'c');
    await eventually(() => delivered().length === 3);

    expect(delivered().sort()).toEqual(['a', 'b', 'c']);
    expect(invoker.callsOf('consumer').every((call) => call.options?.queue === true)).toBe(true);
    await eventually(async () => (await remaining('orders')) === 0);
  });

  it('gathers batches larger than one receive (10) within the batching window, never above the batch size', async () => {
    const { send, delivered, invoker } = await startConsumer(aQueue('bulk'), () => undefined, {
      batchSize: 25,
      maximumBatchingWindowSeconds: 5,
      maximumConcurrency: 2,
    });

    await send('bulk', ...Array.from({ length: 25 }, (_, i) => `m${i}`));
    await eventually(() => delivered().length >= 25);

    const sizes = invoker
      .callsOf('consumer')
      .map((call) => (call.event as SQSEvent).Records.length);
    // Two pollers share 25 messages: at least one batch took more than one receive.
    expect(Math.max(...sizes)).toBeGreaterThan(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(25);
    expect(new Set(delivered()).size).toBe(25);
  });

  it('waits for the batching window before invoking a batch that is not full', async () => {
    // Window 4 s: 400 ms.
    const { send, invoker } = await startConsumer(aQueue('slow'), () => undefined, {
      batchSize: 10,
      maximumBatchingWindowSeconds: 4,
    });

    const sentAt = Date.now();
    await send('slow', 'one', 'two');
    const first = await eventually(() => invoker.callsOf('consumer')[0]);

    expect(first.startedAt - sentAt).toBeGreaterThanOrEqual(350);
  });

  it('invokes at once, without waiting out the window, when the batch is full', async () => {
    // Window 300 s: 30 s, far beyond this test's deadline.
    const { send, invoker } = await startConsumer(aQueue('full'), () => undefined, {
      batchSize: 2,
      maximumBatchingWindowSeconds: 300,
    });

    await send('full', 'one', 'two');

    await eventually(() => invoker.callsOf('consumer').length > 0, 5_000);
  });

  it.each([
    [3, 3],
    [undefined, DEFAULT_MAXIMUM_CONCURRENCY],
  ])(
    'never runs more concurrent batches than MaximumConcurrency (%s → %s)',
    async (maximumConcurrency, limit) => {
      const { send, invoker } = await startConsumer(aQueue('busy'), () => sleep(30), {
        batchSize: 1,
        maximumConcurrency,
      });

      await send('busy', ...Array.from({ length: 40 }, (_, i) => `m${i}`));
      await eventually(() => invoker.callsOf('consumer').length >= 40);

      expect(invoker.maxConcurrency.get('consumer')).toBeLessThanOrEqual(limit);
      expect(invoker.maxConcurrency.get('consumer')).toBeGreaterThanOrEqual(2);
    },
  );

  it('deletes only the records not named in batchItemFailures', async () => {
    const { send, delivered } = await startConsumer(
      aQueue('partial', { visibilityTimeoutSeconds: 5 }),
      (event) => ({
        batchItemFailures: (event as SQSEvent).Records.filter((r) => r.body === 'bad').map((r) => ({
          itemIdentifier: r.messageId,
        })),
      }),
      { reportBatchItemFailures: true },
    );

    await send('partial', 'ok1', 'bad', 'ok2');
    // The failed record returns after each visibility timeout.
    await eventually(() => delivered().filter((body) => body === 'bad').length >= 3);

    expect(delivered().filter((body) => body === 'ok1')).toHaveLength(1);
    expect(delivered().filter((body) => body === 'ok2')).toHaveLength(1);
  });

  it.each([
    ['an identifier that is not in the batch', { batchItemFailures: [{ itemIdentifier: 'nope' }] }],
    ['an empty identifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a malformed response', 'all good'],
  ])('keeps the whole batch after %s', async (_, response) => {
    const { send, delivered } = await startConsumer(
      aQueue('strict', { visibilityTimeoutSeconds: 5 }),
      () => response,
      { reportBatchItemFailures: true },
    );

    await send('strict', 'a', 'b');

    await eventually(
      () =>
        delivered().filter((body) => body === 'a').length >= 2 &&
        delivered().filter((body) => body === 'b').length >= 2,
    );
  });

  it('deletes nothing after a handler error: the batch reappears after its visibility timeout, counted', async () => {
    let failures = 1;
    const { send, invoker, remaining } = await startConsumer(
      aQueue('flaky', { visibilityTimeoutSeconds: 5 }),
      () => {
        if (failures-- > 0) throw new Error('database down');
      },
    );

    await send('flaky', 'x');
    await eventually(() => invoker.callsOf('consumer').length >= 2);

    const [first, second] = invoker.callsOf('consumer');
    expect(receiveCounts(invoker.callsOf('consumer'))).toEqual(['1', '2']);
    // Not before the visibility timeout (500 ms): the mapping never made it visible early.
    expect((second?.startedAt ?? 0) - (first?.startedAt ?? 0)).toBeGreaterThanOrEqual(450);
    await eventually(async () => (await remaining('flaky')) === 0);
  });

  it('lets a poison message reach the dead-letter queue after maxReceiveCount', async () => {
    const dlq = aQueue('orders-dlq');
    const queue = aQueue('orders', {
      visibilityTimeoutSeconds: 3,
      redrivePolicy: { deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 },
    });
    const { send, sqs, urlOf, delivered } = await startConsumer(
      queue,
      (event) => {
        if ((event as SQSEvent).Records.some((r) => r.body === 'poison'))
          throw new Error('cannot parse');
      },
      { batchSize: 1 },
      [dlq],
    );

    await send('orders', 'poison', 'fine');
    const dead = await eventually(async () => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: urlOf('orders-dlq'), WaitTimeSeconds: 0 }),
      );
      return Messages?.[0];
    });

    expect(dead.Body).toBe('poison');
    expect(delivered().filter((body) => body === 'poison')).toHaveLength(2);
    expect(delivered().filter((body) => body === 'fine')).toHaveLength(1);
  });

  it('waits, on stop, for the batch in flight to be settled', async () => {
    let finished = false;
    const { send, invoker, remaining, messaging } = await startConsumer(
      aQueue('drain'),
      async () => {
        await sleep(300);
        finished = true;
      },
    );
    await send('drain', 'last');
    await eventually(() => invoker.callsOf('consumer').length > 0);

    await messaging.stopTriggers();

    expect(finished).toBe(true);
    expect(await remaining('drain')).toBe(0);
  });

  it('receives a message sent with a plain SendMessage too', async () => {
    const { sqs, urlOf, delivered } = await startConsumer(aQueue('single'), () => undefined);

    await sqs.send(new SendMessageCommand({ QueueUrl: urlOf('single'), MessageBody: 'solo' }));

    await eventually(() => delivered().includes('solo'));
  });
});

describe('the start refuses, as Lambda would', () => {
  const refusal = (
    queue: ReturnType<typeof aQueue>,
    fn: ReturnType<typeof aFunction>,
    mapping = {},
  ) =>
    startMessaging(
      aModel({
        queues: [queue],
        functions: [fn],
        eventSourceMappings: [aMapping(queue, fn, mapping)],
      }),
      { invoker: new StubInvoker({ [fn.name]: () => undefined }), timeScale: 1, log: () => {} },
    );

  it('a queue whose visibility timeout is shorter than the function timeout', async () => {
    const started = refusal(
      aQueue('short', { visibilityTimeoutSeconds: 10 }),
      aFunction('long', 30),
    );

    await expect(started).rejects.toThrow(LocalAwsError);
    await expect(started).rejects.toThrow(
      'Queue visibility timeout: 10 seconds is less than Function timeout: 30 seconds',
    );
    await expect(started).rejects.toMatchObject({ logicalId: 'longMapping' });
  });

  it('a batch size above 10 without a batching window', async () => {
    const started = refusal(aQueue('q'), aFunction('f'), { batchSize: 50 });

    await expect(started).rejects.toMatchObject({
      logicalId: 'fMapping',
      property: 'MaximumBatchingWindowInSeconds',
    });
  });
});

describe('a partial batch response', () => {
  const ids = ['m1', 'm2', 'm3'];
  it.each([
    ['null', 'null', { kind: 'delete-all' }],
    ['an empty object', '{}', { kind: 'delete-all' }],
    ['an empty list', '{"batchItemFailures":[]}', { kind: 'delete-all' }],
    ['a null list', '{"batchItemFailures":null}', { kind: 'delete-all' }],
    [
      'naming m2',
      '{"batchItemFailures":[{"itemIdentifier":"m2"}]}',
      { kind: 'keep-some', failed: new Set(['m2']) },
    ],
    ['a null identifier', '{"batchItemFailures":[{"itemIdentifier":null}]}', { kind: 'keep-all' }],
    ['a wrong key name', '{"batchItemFailures":[{"itemId":"m2"}]}', { kind: 'keep-all' }],
    [
      'an unknown identifier',
      '{"batchItemFailures":[{"itemIdentifier":"m9"}]}',
      { kind: 'keep-all' },
    ],
    ['a list that is not a list', '{"batchItemFailures":"m2"}', { kind: 'keep-all' }],
    ['a string', '"done"', { kind: 'keep-all' }],
  ])('that is %s settles as expected', (_, payload, expected) => {
    expect(settleBatch(ids, payload, true)).toMatchObject(expected);
  });

  it('is ignored without ReportBatchItemFailures: success deletes all', () => {
    expect(settleBatch(ids, '{"batchItemFailures":[{"itemIdentifier":"m2"}]}', false)).toEqual({
      kind: 'delete-all',
    });
  });
});
