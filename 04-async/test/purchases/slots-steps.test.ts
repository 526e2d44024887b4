import { messageAttributesOf, parseDomainEvent } from '@course/contract/events';
import { lambdaContext } from '@course/serverless/test/events';
import { describe, expect, it } from 'vitest';
import { readPurchase, recordAttempt } from '../../src/purchases/record.ts';
import { complete, debit, refund } from '../../src/purchases/steps.ts';
import { readLeaderboard } from '../../src/slots/leaderboard.ts';
import { leaderboardProjector } from '../../src/slots/projector.ts';
import { asyncSlotsStore } from '../../src/slots/store.ts';
import { silentLog, slotsDatabaseForThisFile, sqsRecord } from '../slots/support.ts';
import { balanceOf, eventsOfPurchase, playerWithWallet, purchaseOf, stepDeps } from './support.ts';

/*
 * The saga's slots steps on a real database: each idempotent by the purchase id, each moving
 * credits and writing its event in one transaction, the record showing every attempt.
 */

const database = slotsDatabaseForThisFile('slots_purchase_steps_test');

describe('debit', () => {
  it('debits the price once however often it runs, with one CreditsSpent event', async () => {
    const { db } = database;
    const player = await playerWithWallet(db, 1000);
    const purchase = await purchaseOf(db, player, 'high-roller');
    const { deps, published } = stepDeps(db);

    const outcomes = [await debit(deps, purchase.id), await debit(deps, purchase.id)];

    expect(outcomes).toEqual([{ outcome: 'debited' }, { outcome: 'debited' }]);
    expect(await balanceOf(db, player.id)).toBe(500);
    const events = await eventsOfPurchase(db, purchase.id);
    expect(events.map((event) => event.type)).toEqual(['CreditsSpent']);
    expect(events[0]?.data).toMatchObject({
      playerId: player.id,
      titleId: 'high-roller',
      amount: 500,
      balance: 500,
    });
    expect(published).toHaveLength(1);
  });

  it('debits once when two attempts of one purchase run at the same moment', async () => {
    const { db } = database;
    const player = await playerWithWallet(db, 1000);
    const purchase = await purchaseOf(db, player, 'high-roller');
    const { deps } = stepDeps(db);

    const outcomes = await Promise.all([debit(deps, purchase.id), debit(deps, purchase.id)]);

    expect(outcomes).toEqual([{ outcome: 'debited' }, { outcome: 'debited' }]);
    expect(await balanceOf(db, player.id)).toBe(500);
    expect(await eventsOfPurchase(db, purchase.id)).toHaveLength(1);
  });

  it('rejects a purchase the wallet cannot pay, writes no event, and stays rejected after a top-up', async () => {
    const { db } = database;
    const player = await playerWithWallet(db, 1000);
    const purchase = await purchaseOf(db, player, 'reel-legend');
    const { deps, published } = stepDeps(db);

    const first = await debit(deps, purchase.id);
    await db.wallet.update({ where: { userId: player.id }, data: { balance: 100_000 } });
    const replay = await debit(deps, purchase.id);

    expect([first, replay]).toEqual([{ outcome: 'rejected' }, { outcome: 'closed' }]);
    expect(await balanceOf(db, player.id)).toBe(100_000);
    expect(await eventsOfPurchase(db, purchase.id)).toEqual([]);
    expect(published).toEqual([]);
    const record = await readPurchase(db, purchase.id);
    expect(record?.status).toBe('rejected');
    expect(record?.reason).toMatch(/costs 50000, the wallet holds 1000/);
  });

  it('never takes a wallet below zero when purchases debit it concurrently', async () => {
    const { db } = database;
    const player = await playerWithWallet(db, 1000);
    // Twelve purchases of 100 credits from a wallet of 1000: ten can be paid, two cannot.
    const purchases = await Promise.all(
      Array.from({ length: 12 }, () => purchaseOf(db, player, 'lucky-seven')),
    );
    const { deps } = stepDeps(db);

    const outcomes = await Promise.all(purchases.map((purchase) => debit(deps, purchase.id)));

    const count = (outcome: string) => outcomes.filter((o) => o.outcome === outcome).length;
    expect([count('debited'), count('rejected')]).toEqual([10, 2]);
    expect(await balanceOf(db, player.id)).toBe(0);
  });
});

describe('refund', () => {
  it('gives the price back once however often it runs, with one CreditsRefunded event', async () => {
    const { db } = database;
    const player = await playerWithWallet(db, 1000);
    const purchase = await purchaseOf(db, player, 'high-roller');
    const { deps } = stepDeps(db);
    await debit(deps, purchase.id);

    const outcomes = [await refund(deps, purchase.id), await refund(deps, purchase.id)];

    expect(outcomes).toEqual([{ outcome: 'refunded' }, { outcome: 'refunded' }]);
    expect(await balanceOf(db, player.id)).toBe(1000);
    const events = await eventsOfPurchase(db, purchase.id);
    expect(events.map((event) => event.type)).toEqual(['CreditsSpent', 'CreditsRefunded']);
    expect(events[1]?.data).toMatchObject({ amount: 500, balance: 1000 });
    const record = await readPurchase(db, purchase.id);
    expect(record?.status).toBe('refunded');
    expect(record?.refundedAt).not.toBeNull();
  });

  it('answers nothing-debited for a purchase never debited, leaves the wallet alone and ends it failed, saying so', async () => {
    const { db } = database;
    const player = await playerWithWallet(db, 1000);
    const purchase = await purchaseOf(db, player);
    const { deps } = stepDeps(db);

    const outcome = await refund(deps, purchase.id);

    expect(outcome).toEqual({ outcome: 'nothing-debited' });
    expect(await balanceOf(db, player.id)).toBe(1000);
    expect(await eventsOfPurchase(db, purchase.id)).toEqual([]);
    const record = await readPurchase(db, purchase.id);
    expect(record?.status).toBe('failed');
    expect(record?.reason).toBe(
      'The price of Lucky Seven could not be debited; nothing was taken.',
    );
  });

  it('ends refunded a purchase whose credits come back after the record said failed', async () => {
    const { db } = database;
    const player = await playerWithWallet(db, 1000);
    const purchase = await purchaseOf(db, player);
    const { deps } = stepDeps(db);
    await debit(deps, purchase.id);
    // The reconciler closed it failed (its execution failed at the compensation); a redrive then
    // ran the refund.
    await db.purchase.update({ where: { id: purchase.id }, data: { status: 'failed' } });

    await refund(deps, purchase.id);

    expect((await readPurchase(db, purchase.id))?.status).toBe('refunded');
  });

  it('closes a refunded purchase to a replayed debit: nothing moves, and no grant may follow', async () => {
    const { db } = database;
    const player = await playerWithWallet(db, 1000);
    const purchase = await purchaseOf(db, player);
    const { deps } = stepDeps(db);
    await debit(deps, purchase.id);
    await refund(deps, purchase.id);

    const replay = await debit(deps, purchase.id);

    // `debited` would send a replayed execution on to grant a title whose price came back.
    expect(replay).toEqual({ outcome: 'closed' });
    expect(await balanceOf(db, player.id)).toBe(1000);
    expect((await eventsOfPurchase(db, purchase.id)).map((event) => event.type)).toEqual([
      'CreditsSpent',
      'CreditsRefunded',
    ]);
  });

  it('closes a completed purchase to a replayed debit: nothing moves, and no grant may follow', async () => {
    const { db } = database;
    const player = await playerWithWallet(db, 1000);
    const purchase = await purchaseOf(db, player);
    const { deps } = stepDeps(db);
    await debit(deps, purchase.id);
    await complete(deps, purchase.id);

    const replay = await debit(deps, purchase.id);

    // `debited` would send a replayed execution on to the grant, and a grant failing then would
    // compensate: revoke the title and refund a purchase that was completed.
    expect(replay).toEqual({ outcome: 'closed' });
    expect(await balanceOf(db, player.id)).toBe(900);
    expect((await readPurchase(db, purchase.id))?.status).toBe('completed');
  });
});

describe('the events of purchases and spins', () => {
  it("orders a player's purchase events and spin events by one sequence, which the projector follows to the wallet's balance", async () => {
    const { db } = database;
    await db.leaderboardEntry.deleteMany();
    const player = await playerWithWallet(db, 1000);
    const store = asyncSlotsStore(db, { traceId: 'req-spins' });
    const purchase = await purchaseOf(db, player, 'high-roller');
    const { deps } = stepDeps(db);

    await debit(deps, purchase.id);
    await store.settleSpin({
      userId: player.id,
      bet: 10,
      payout: 0,
      reels: ['bell', 'seven', 'star'],
      idempotencyKey: null,
    });
    await refund(deps, purchase.id);

    const rows = await db.outboxEvent.findMany({ orderBy: { position: 'asc' } });
    const mine = rows
      .map((row) => parseDomainEvent(row.event))
      .filter((event) => event.data.playerId === player.id);
    expect(mine.map((event) => event.type)).toEqual([
      'CreditsSpent',
      'SpinSettled',
      'CreditsRefunded',
    ]);
    const sequences = mine.map((event) => event.data.sequence);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);

    // Delivered to the projector newest first, then the rest: it still ends at the newest balance.
    const project = leaderboardProjector({ db, log: silentLog });
    const records = [...mine]
      .reverse()
      .map((event) => sqsRecord(JSON.stringify(event), messageAttributesOf(event)));
    const answer = await project({ Records: records }, lambdaContext(), () => {});
    expect(answer).toEqual({ batchItemFailures: [] });
    const entry = (await readLeaderboard(db)).items.find((item) => item.userId === player.id);
    expect(entry?.balance).toBe(await balanceOf(db, player.id));
    expect(entry?.balance).toBe(990);
  });
});

describe('the record of attempts', () => {
  it('numbers the attempts of each step 1..n and closes each succeeded or failed with a detail', async () => {
    const { db } = database;
    const player = await playerWithWallet(db, 1000);
    const purchase = await purchaseOf(db, player);
    const { deps } = stepDeps(db);
    const failing = () =>
      recordAttempt(db, purchase.id, 'grant', async () => {
        throw Object.assign(new Error('the forum answered 503'), { name: 'ForumUnavailable' });
      });

    await debit(deps, purchase.id);
    await expect(failing()).rejects.toThrow('the forum answered 503');
    await expect(failing()).rejects.toThrow('the forum answered 503');
    await recordAttempt(db, purchase.id, 'grant', async () => ({
      result: { outcome: 'granted' as const },
    }));

    const steps = (await readPurchase(db, purchase.id))?.steps ?? [];
    expect(
      steps.map(({ step, attempt, status, detail }) => ({ step, attempt, status, detail })),
    ).toEqual([
      { step: 'debit', attempt: 1, status: 'succeeded', detail: '100 credits debited' },
      {
        step: 'grant',
        attempt: 1,
        status: 'failed',
        detail: 'ForumUnavailable: the forum answered 503',
      },
      {
        step: 'grant',
        attempt: 2,
        status: 'failed',
        detail: 'ForumUnavailable: the forum answered 503',
      },
      { step: 'grant', attempt: 3, status: 'succeeded', detail: 'granted' },
    ]);
    expect(steps.every((step) => step.endedAt !== null)).toBe(true);
  });

  it('numbers overlapping attempts of one step apart: each gets its own number', async () => {
    const { db } = database;
    const player = await playerWithWallet(db, 1000);
    const purchase = await purchaseOf(db, player);

    await Promise.all(
      Array.from({ length: 5 }, () =>
        recordAttempt(db, purchase.id, 'grant', async () => ({
          result: { outcome: 'granted' as const },
        })),
      ),
    );

    const steps = (await readPurchase(db, purchase.id))?.steps ?? [];
    expect(steps.map((step) => step.attempt).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('leaves the status running when attempts of a step fail, compensations included: retries may follow', async () => {
    const { db } = database;
    const player = await playerWithWallet(db, 1000);
    const purchase = await purchaseOf(db, player);
    const { deps } = stepDeps(db);
    await debit(deps, purchase.id);
    const failing = (step: 'grant' | 'cancelGrant' | 'refund') =>
      recordAttempt(db, purchase.id, step, async () => {
        throw Object.assign(new Error('connection refused'), { name: 'ForumUnavailable' });
      });

    for (const step of ['grant', 'cancelGrant', 'refund'] as const) {
      await expect(failing(step)).rejects.toThrow('connection refused');
    }
    const afterFailures = await readPurchase(db, purchase.id);
    await refund(deps, purchase.id);

    expect(afterFailures?.status).toBe('running');
    expect(afterFailures?.reason).toBeNull();
    expect(afterFailures?.steps.map((step) => `${step.step}:${step.status}`)).toEqual([
      'debit:succeeded',
      'grant:failed',
      'cancelGrant:failed',
      'refund:failed',
    ]);
    expect((await readPurchase(db, purchase.id))?.status).toBe('refunded');
  });
});

describe('complete', () => {
  it('moves a running purchase to completed, and answers completed again on a retry', async () => {
    const { db } = database;
    const player = await playerWithWallet(db, 1000);
    const purchase = await purchaseOf(db, player);
    const { deps } = stepDeps(db);
    await debit(deps, purchase.id);

    const outcomes = [await complete(deps, purchase.id), await complete(deps, purchase.id)];

    expect(outcomes).toEqual([{ outcome: 'completed' }, { outcome: 'completed' }]);
    const record = await readPurchase(db, purchase.id);
    expect(record?.status).toBe('completed');
    // Bookkeeping, not a step of the purchase: no attempt recorded.
    expect(record?.steps.map((step) => step.step)).toEqual(['debit']);
  });

  it('never turns a purchase that ended otherwise into a completed one', async () => {
    const { db } = database;
    const player = await playerWithWallet(db, 1000);
    const refunded = await purchaseOf(db, player);
    const rejected = await purchaseOf(db, player, 'reel-legend');
    const { deps } = stepDeps(db);
    await debit(deps, refunded.id);
    await refund(deps, refunded.id);
    await debit(deps, rejected.id);

    const errors = await Promise.all(
      [refunded, rejected].map((purchase) =>
        complete(deps, purchase.id).then(
          () => undefined,
          (err: unknown) => err,
        ),
      ),
    );

    expect(errors.map((err) => (err instanceof Error ? err.name : err))).toEqual([
      'PurchaseEnded',
      'PurchaseEnded',
    ]);
    expect((await readPurchase(db, refunded.id))?.status).toBe('refunded');
    expect((await readPurchase(db, rejected.id))?.status).toBe('rejected');
  });

  it('a refund after a completion whose answer was lost ends the purchase refunded', async () => {
    const { db } = database;
    const player = await playerWithWallet(db, 1000);
    const purchase = await purchaseOf(db, player);
    const { deps } = stepDeps(db);
    await debit(deps, purchase.id);
    // Complete wrote `completed`, then its answer was lost; the execution failed on, and an
    // operator's repair (or a redrive of the compensation) ran the refund.
    await complete(deps, purchase.id);

    const outcome = await refund(deps, purchase.id);

    expect(outcome).toEqual({ outcome: 'refunded' });
    const record = await readPurchase(db, purchase.id);
    expect(record?.status).toBe('refunded');
    expect(record?.refundedAt).not.toBeNull();
    expect(await balanceOf(db, player.id)).toBe(1000);
  });
});
