import {
  ExecutionAlreadyExists,
  type StartExecutionCommand,
  type StartExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { HttpError } from '@course/service-kit/core';
import { describe, expect, it } from 'vitest';
import { abandonPurchase, findPurchase, insertPurchase } from '../../src/purchases/record.ts';
import {
  type ExecutionStarter,
  stepFunctionsSagaStarter,
} from '../../src/purchases/saga-starter.ts';
import {
  listTitles,
  readPurchaseOf,
  type SagaStarter,
  type ShopDeps,
  startPurchase,
} from '../../src/purchases/shop.ts';
import { debit } from '../../src/purchases/steps.ts';
import type { AsyncSlotsDatabase } from '../../src/slots/database.ts';
import { slotsDatabaseForThisFile } from '../slots/support.ts';
import { balanceOf, playerWithWallet, purchaseOf, stepDeps } from './support.ts';

/*
 * The shop's use cases on a real database, with the saga's start behind its port: a recording
 * starter, or one that refuses as Step Functions can.
 */

const database = slotsDatabaseForThisFile('slots_purchase_shop_test');

function recordingSaga(refuse = false) {
  const started: string[] = [];
  const saga: SagaStarter = {
    async start(purchaseId) {
      started.push(purchaseId);
      if (refuse) throw new Error('ServiceUnavailable: Step Functions is down');
    },
  };
  return { saga, started };
}

function shop(saga: SagaStarter): ShopDeps {
  return { db: database.db, saga, openWallet: async () => {} };
}

async function problemOf(work: Promise<unknown>): Promise<HttpError> {
  const err = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(err instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(err)}`);
  return err;
}

const request = (body: unknown, idempotencyKey?: string) => ({
  body,
  idempotencyKey,
  traceId: `req-${crypto.randomUUID()}`,
});

describe('the titles shop', () => {
  it('lists the titles cheapest first', () => {
    const prices = listTitles().items.map((title) => title.price);
    expect([...prices].sort((a, b) => a - b)).toEqual(prices);
  });

  it('writes a running purchase at the price of its title and starts its saga by its id', async () => {
    const player = await playerWithWallet(database.db, 1000);
    const { saga, started } = recordingSaga();

    const { purchase, replayed } = await startPurchase(
      shop(saga),
      player,
      request({ titleId: 'high-roller', ignored: true }),
    );

    expect(replayed).toBe(false);
    expect(purchase).toMatchObject({
      titleId: 'high-roller',
      title: 'High Roller',
      price: 500,
      status: 'running',
      steps: [],
    });
    expect(started).toEqual([purchase.id]);
  });

  it('answers a retried key with the same purchase, starting its saga again, and refuses the key for another title', async () => {
    const player = await playerWithWallet(database.db, 1000);
    const { saga, started } = recordingSaga();

    const first = await startPurchase(
      shop(saga),
      player,
      request({ titleId: 'lucky-seven' }, 'k-1'),
    );
    const again = await startPurchase(
      shop(saga),
      player,
      request({ titleId: 'lucky-seven' }, 'k-1'),
    );
    const other = await problemOf(
      startPurchase(shop(saga), player, request({ titleId: 'high-roller' }, 'k-1')),
    );

    expect(again).toEqual({ purchase: first.purchase, replayed: true });
    expect(started).toEqual([first.purchase.id, first.purchase.id]);
    expect(other.status).toBe(422);
    expect(other.type).toBe('/problems/idempotency-key-reused');
  });

  it('refuses a title not on sale (422), a body without a title id (422) and a malformed key (400)', async () => {
    const player = await playerWithWallet(database.db, 1000);
    const { saga, started } = recordingSaga();

    const problems = await Promise.all([
      problemOf(startPurchase(shop(saga), player, request({ titleId: 'emperor' }))),
      problemOf(startPurchase(shop(saga), player, request({}))),
      problemOf(startPurchase(shop(saga), player, request('lucky-seven'))),
      problemOf(startPurchase(shop(saga), player, request({ titleId: 'lucky-seven' }, 'a key'))),
    ]);

    expect(problems.map((problem) => problem.status)).toEqual([422, 422, 422, 400]);
    expect(problems[0]?.errors).toEqual([
      { path: 'titleId', message: 'no title on sale is called emperor' },
    ]);
    expect(started).toEqual([]);
  });

  it('answers 503 when Step Functions refuses, closes the purchase failed and frees its key for a retry', async () => {
    const player = await playerWithWallet(database.db, 1000);
    const refusing = recordingSaga(true);
    const working = recordingSaga();

    const problem = await problemOf(
      startPurchase(shop(refusing.saga), player, request({ titleId: 'lucky-seven' }, 'k-503')),
    );
    const retry = await startPurchase(
      shop(working.saga),
      player,
      request({ titleId: 'lucky-seven' }, 'k-503'),
    );

    expect(problem.status).toBe(503);
    const [abandonedId] = refusing.started;
    const abandoned = await findPurchase(database.db, abandonedId ?? '');
    expect(abandoned).toMatchObject({ status: 'failed', idempotencyKey: null, debitedAt: null });
    expect(retry.replayed).toBe(false);
    expect(retry.purchase.id).not.toBe(abandonedId);
    expect(working.started).toEqual([retry.purchase.id]);
  });

  it('answers 202 with the purchase when the start failed after the execution debited it: the saga is under way, nothing is closed', async () => {
    const player = await playerWithWallet(database.db, 1000);
    const { deps } = stepDeps(database.db);
    // StartExecution took effect and the debit ran, but its answer never came back.
    const answerLost: SagaStarter = {
      async start(purchaseId) {
        await debit(deps, purchaseId);
        throw new Error('TimeoutError: the StartExecution answer did not arrive');
      },
    };

    const { purchase, replayed } = await startPurchase(
      shop(answerLost),
      player,
      request({ titleId: 'lucky-seven' }, 'k-lost'),
    );

    expect(replayed).toBe(false);
    expect(purchase.status).toBe('running');
    expect(purchase.steps).toMatchObject([{ step: 'debit', status: 'succeeded' }]);
    expect(await findPurchase(database.db, purchase.id)).toMatchObject({
      idempotencyKey: 'k-lost',
    });
    expect(await balanceOf(database.db, player.id)).toBe(900);
  });

  it('answers a replayed key of a purchase that has ended with its record, and starts nothing', async () => {
    const player = await playerWithWallet(database.db, 1000);
    const { saga, started } = recordingSaga();
    const first = await startPurchase(
      shop(saga),
      player,
      request({ titleId: 'reel-legend' }, 'k-ended'),
    );
    await debit(stepDeps(database.db).deps, first.purchase.id);

    const replay = await startPurchase(
      shop(saga),
      player,
      request({ titleId: 'reel-legend' }, 'k-ended'),
    );

    expect(replay.replayed).toBe(true);
    expect(replay.purchase).toMatchObject({ id: first.purchase.id, status: 'rejected' });
    expect(started).toEqual([first.purchase.id]);
  });

  it('inserts afresh when the purchase its key collided with was abandoned before the lookup', async () => {
    const player = await playerWithWallet(database.db, 1000);
    const holder = await purchaseOf(database.db, player);
    await database.db.purchase.update({
      where: { id: holder.id },
      data: { idempotencyKey: 'k-race' },
    });
    // The other request's start fails and it releases the key between this insert and its lookup.
    const racing = releasingKeyAfterFirstInsert(database.db, holder.id);
    const title = { id: 'lucky-seven', name: 'Lucky Seven', price: 100 } as const;

    const { created, purchase } = await insertPurchase(racing, {
      id: crypto.randomUUID(),
      player,
      title,
      idempotencyKey: 'k-race',
      traceId: 'req-race',
    });

    expect(created).toBe(true);
    expect(purchase).toMatchObject({ idempotencyKey: 'k-race', status: 'running' });
    expect(purchase.id).not.toBe(holder.id);
    expect(await findPurchase(database.db, holder.id)).toMatchObject({
      status: 'failed',
      idempotencyKey: null,
    });
  });

  it("reads the caller's own purchase, and answers 404 for another player's, an unknown and a malformed id", async () => {
    const owner = await playerWithWallet(database.db, 1000);
    const stranger = await playerWithWallet(database.db, 1000);
    const { saga } = recordingSaga();
    const { purchase } = await startPurchase(
      shop(saga),
      owner,
      request({ titleId: 'lucky-seven' }),
    );

    const own = await readPurchaseOf(database.db, owner, purchase.id);
    const statuses = await Promise.all(
      [
        readPurchaseOf(database.db, stranger, purchase.id),
        readPurchaseOf(database.db, owner, crypto.randomUUID()),
        readPurchaseOf(database.db, owner, 'not-a-uuid'),
      ].map(async (read) => (await problemOf(read)).status),
    );

    expect(own.id).toBe(purchase.id);
    expect(statuses).toEqual([404, 404, 404]);
  });
});

/** `db`, whose first purchase insert is followed at once by the abandon of `holderId`. */
function releasingKeyAfterFirstInsert(db: AsyncSlotsDatabase, holderId: string) {
  let first = true;
  const purchases = new Proxy(db.purchase, {
    get(target, property, receiver) {
      if (property !== 'createMany') return Reflect.get(target, property, receiver);
      return async (args: Parameters<typeof target.createMany>[0]) => {
        const inserted = await target.createMany(args);
        if (first) {
          first = false;
          await abandonPurchase(db, holderId);
        }
        return inserted;
      };
    },
  });
  return new Proxy(db, {
    get: (target, property, receiver) =>
      property === 'purchase' ? purchases : Reflect.get(target, property, receiver),
  });
}

describe('the saga starter over Step Functions', () => {
  function sfnAnswering(answer: () => Promise<StartExecutionCommandOutput>) {
    const inputs: StartExecutionCommand['input'][] = [];
    const sfn: ExecutionStarter = {
      send: async (command) => {
        inputs.push(command.input);
        return answer();
      },
    };
    return { sfn, inputs };
  }

  it('starts the execution named by the purchase id with the id as its only input', async () => {
    const { sfn, inputs } = sfnAnswering(async () => ({
      $metadata: {},
      executionArn: 'arn',
      startDate: new Date(),
    }));
    const arn = 'arn:aws:states:us-east-1:123456789012:stateMachine:PurchaseSaga';
    const purchaseId = crypto.randomUUID();

    await stepFunctionsSagaStarter(sfn, arn).start(purchaseId);

    expect(inputs).toEqual([
      { stateMachineArn: arn, name: purchaseId, input: JSON.stringify({ purchaseId }) },
    ]);
  });

  it('takes ExecutionAlreadyExists as started, and lets any other refusal through', async () => {
    const exists = sfnAnswering(async () => {
      throw new ExecutionAlreadyExists({ message: 'exists', $metadata: {} });
    });
    const down = sfnAnswering(async () => {
      throw new Error('ServiceUnavailable');
    });
    const arn = 'arn:aws:states:us-east-1:123456789012:stateMachine:PurchaseSaga';

    await expect(stepFunctionsSagaStarter(exists.sfn, arn).start('id')).resolves.toBeUndefined();
    await expect(stepFunctionsSagaStarter(down.sfn, arn).start('id')).rejects.toThrow(
      'ServiceUnavailable',
    );
  });
});
