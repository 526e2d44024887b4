import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultSpecError, parseFaultSpec, parseFaultSpecs } from '../src/messaging/faults.ts';
import {
  aQueue,
  bodiesOf,
  eventually,
  idsOf,
  sleep,
  startConsumer,
  stopStarted,
} from './messaging-fixture.ts';

afterEach(stopStarted);

describe('fault specs from the command line', () => {
  it('parse a queue, a mapping and every switch', () => {
    expect(
      parseFaultSpecs(
        'queue=orders,duplicate,reorder; mapping=Consumer,crash-before-delete=once,expire-visibility',
      ),
    ).toEqual([
      { target: 'orders', switches: { duplicate: 1, reorder: true } },
      { target: 'Consumer', switches: { crashBeforeDelete: 'once', expireVisibility: true } },
    ]);
    expect(parseFaultSpec('queue=orders,duplicate=0.25')).toEqual({
      target: 'orders',
      switches: { duplicate: 0.25 },
    });
  });

  it('parse a topic’s refuse-publish: always, a probability, or once', () => {
    expect(parseFaultSpecs('topic=events,refuse-publish; topic=a,refuse-publish=0.5')).toEqual([
      { target: 'events', switches: { refusePublish: 1 } },
      { target: 'a', switches: { refusePublish: 0.5 } },
    ]);
    expect(parseFaultSpec('topic=events,refuse-publish=once')).toEqual({
      target: 'events',
      switches: { refusePublish: 'once' },
    });
  });

  it('parse a function’s fail and crash-after-effect: always, a probability, once or N times', () => {
    expect(
      parseFaultSpecs('function=Grant,fail; function=Debit,fail=0.3,crash-after-effect=once'),
    ).toEqual([
      { target: 'Grant', switches: { fail: { probability: 1 } } },
      {
        target: 'Debit',
        switches: { fail: { probability: 0.3 }, crashAfterEffect: { times: 1 } },
      },
    ]);
    expect(parseFaultSpec('function=Grant,crash-after-effect=3')).toEqual({
      target: 'Grant',
      switches: { crashAfterEffect: { times: 3 } },
    });
  });

  it.each([
    'function=Grant',
    'function=Grant,duplicate',
    'queue=orders,fail',
    'function=Grant,fail=0',
    'function=Grant,crash-after-effect=twice',
    'orders,duplicate',
    'queue=orders',
    'queue=orders,explode',
    'queue=orders,duplicate=2',
    'queue=orders,crash-before-delete=twice',
    'queue=orders,refuse-publish',
    'topic=events,duplicate',
    'topic=events,refuse-publish=2',
  ])('refuse %s with a message', (spec) => {
    expect(() => parseFaultSpec(spec)).toThrow(FaultSpecError);
  });
});

describe('fault switches', () => {
  it('are logged when set', async () => {
    const { messaging, lines } = await startConsumer(aQueue('orders'), () => undefined);

    messaging.faults.set('orders', { duplicate: 1, crashBeforeDelete: 'once' });

    expect(lines).toContain(
      'aws-local: fault switches for orders: duplicate=1, crashBeforeDelete=once',
    );
  });

  it('duplicate: every message reaches the handler twice with the same messageId, then is deleted', async () => {
    const { invoker, send, remaining, messaging } = await startConsumer(
      aQueue('orders'),
      () => undefined,
    );
    messaging.faults.set('orders', { duplicate: 1 });

    await send('orders', 'a', 'b');
    await eventually(() => invoker.callsOf('consumer').flatMap((c) => idsOf(c.event)).length >= 4);

    const ids = invoker.callsOf('consumer').flatMap((c) => idsOf(c.event));
    expect(new Set(ids).size).toBe(2);
    for (const id of new Set(ids)) expect(ids.filter((x) => x === id)).toHaveLength(2);
    await eventually(async () => (await remaining('orders')) === 0);
  });

  it('reorder: messages reach the handler out of the order they were sent, each once', async () => {
    const sent = ['1', '2', '3', '4'];
    const { invoker, send, messaging } = await startConsumer(aQueue('orders'), () => undefined, {
      maximumBatchingWindowSeconds: 2,
    });
    messaging.faults.set('orders', { reorder: true });

    await send('orders', ...sent);
    await eventually(
      () => invoker.callsOf('consumer').flatMap((c) => bodiesOf(c.event)).length >= 4,
    );

    const seen = invoker.callsOf('consumer').flatMap((c) => bodiesOf(c.event));
    expect([...seen].sort()).toEqual(sent);
    expect(seen).not.toEqual(sent);
  });

  it('crash before delete: the handler’s effect happens, its environments are killed, the message comes back', async () => {
    const effects: string[] = [];
    const { invoker, send, remaining, messaging } = await startConsumer(
      aQueue('orders', { visibilityTimeoutSeconds: 5 }),
      (event) => {
        effects.push(...bodiesOf(event));
      },
      { logicalId: 'OrdersConsumer' },
    );
    messaging.faults.set('OrdersConsumer', { crashBeforeDelete: 'once' });

    await send('orders', 'credit');
    await eventually(() => effects.length >= 2);

    expect(invoker.discarded).toEqual(['consumer']);
    const counts = invoker
      .callsOf('consumer')
      .map((c) => (c.event as SQSEvent).Records[0]?.attributes.ApproximateReceiveCount);
    expect(counts).toEqual(['1', '2']);
    await eventually(async () => (await remaining('orders')) === 0);
  });

  it('expire visibility: the batch is received again while its first delivery still runs', async () => {
    let running = 0;
    let overlapped = false;
    const { invoker, send, remaining, messaging } = await startConsumer(
      aQueue('orders', { visibilityTimeoutSeconds: 60 }),
      async () => {
        running++;
        if (running > 1) overlapped = true;
        await sleep(200);
        running--;
      },
    );
    messaging.faults.set('orders', { expireVisibility: 'once' });

    await send('orders', 'x');
    await eventually(() => invoker.callsOf('consumer').length >= 2);

    const ids = invoker.callsOf('consumer').flatMap((c) => idsOf(c.event));
    expect(new Set(ids).size).toBe(1);
    expect(overlapped).toBe(true);
    // The visibility timeout is 6 s at this scale: the message is not left for it to expire.
    await eventually(async () => (await remaining('orders')) === 0, 3_000);
  });

  it('are off by default: one delivery per message', async () => {
    const { invoker, send, remaining } = await startConsumer(aQueue('orders'), () => undefined);

    await send('orders', 'a', 'b', 'c');
    await eventually(async () => (await remaining('orders')) === 0);

    expect(
      invoker
        .callsOf('consumer')
        .flatMap((c) => bodiesOf(c.event))
        .sort(),
    ).toEqual(['a', 'b', 'c']);
  });
});
