import { settleSpin } from '@course/monolith/slots';
import { createLogger } from '@course/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backfill,
  handoff,
  VerificationError,
  verify,
  type WalletDatabases,
} from '../src/wallets/handoff.ts';
import { walletOwner } from '../src/wallets/ownership.ts';
import { type StranglerDatabases, startDatabases } from './databases.ts';

const log = createLogger({ service: 'wallets', level: 'silent' });
const PLAYERS = 24;

let databases: StranglerDatabases;
let dbs: WalletDatabases;
let playerIds: string[];

beforeAll(async () => {
  databases = await startDatabases();
  dbs = databases.dbs;
  playerIds = await createPlayersWithHistory(dbs, PLAYERS);
}, 60_000);
afterAll(() => databases?.stop());

/** Players in the monolith, each with a wallet and a few spins of different results. */
async function createPlayersWithHistory(dbs: WalletDatabases, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n += 1) {
    const user = await dbs.monolith.user.create({
      data: { username: `player_${n}`, passwordHash: 'not-used' },
    });
    await dbs.monolith.wallet.create({ data: { userId: user.id, balance: 1_000 } });
    for (let round = 0; round <= n % 4; round += 1) {
      const payout = (n * 7 + round * 3) % 11;
      await settleSpin(dbs.monolith, {
        userId: user.id,
        bet: 5,
        payout,
        reels: ['cherry', 'bell', 'robot'],
        idempotencyKey: `k${round}`,
      });
    }
    ids.push(user.id);
  }
  return ids;
}

async function allWallets() {
  const [monolith, slots] = await Promise.all([
    dbs.monolith.wallet.findMany({ select: { userId: true, balance: true } }),
    dbs.slots.wallet.findMany({ select: { userId: true, balance: true } }),
  ]);
  return {
    monolith: new Map(monolith.map((w) => [w.userId, w.balance])),
    slots: new Map(slots.map((w) => [w.userId, w.balance])),
  };
}

function totalCredits(wallets: Awaited<ReturnType<typeof allWallets>>): number {
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return sum(wallets.monolith) + sum(wallets.slots);
}

describe('backfill', () => {
  it('copies every wallet and spin the slots service owns at 100 %, and a second run changes nothing', async () => {
    const copied = await backfill(dbs, 100);
    const firstSpins = await dbs.slots.spin.findMany({ orderBy: { id: 'asc' } });
    const again = await backfill(dbs, 100);

    expect(copied.sort()).toEqual([...playerIds].sort());
    expect(again.sort()).toEqual(copied);
    expect(await dbs.slots.spin.findMany({ orderBy: { id: 'asc' } })).toEqual(firstSpins);
    expect(firstSpins).toHaveLength(await dbs.monolith.spin.count());
    const { monolith, slots } = await allWallets();
    expect(slots).toEqual(monolith);
    expect(await verify(dbs)).toEqual([]);
  });

  it('verification reports a tampered spin, a tampered balance and a missing spin', async () => {
    const [first, second, third] = playerIds as [string, string, string];
    const spinOfFirst = await dbs.slots.spin.findFirstOrThrow({ where: { userId: first } });
    await dbs.slots.spin.update({
      where: { id: spinOfFirst.id },
      data: { payout: spinOfFirst.payout + 50 },
    });
    await dbs.slots.wallet.update({
      where: { userId: second },
      data: { balance: { increment: 1 } },
    });
    const spinOfThird = await dbs.slots.spin.findFirstOrThrow({ where: { userId: third } });
    await dbs.slots.spin.delete({ where: { id: spinOfThird.id } });

    const mismatches = await verify(dbs);

    expect(mismatches).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: first, what: 'net winnings' }),
        expect.objectContaining({ userId: second, what: 'balance' }),
        expect.objectContaining({ userId: third, what: 'spin count' }),
      ]),
    );
    const tampered = new Set([first, second, third]);
    expect(mismatches.filter((m) => !tampered.has(m.userId))).toEqual([]);

    // Put the copies right again for the handoff tests: re-copy, then drop the tampered spin.
    await dbs.slots.spin.deleteMany({ where: { id: spinOfFirst.id } });
    await backfill(dbs, 100);
    expect(await verify(dbs)).toEqual([]);
  });
});

describe('handoff', () => {
  it('at 50 % leaves each wallet in exactly one database, with its owner, and no credit made or lost', async () => {
    // Before the first handoff the monolith owns every wallet; the backfill's copies are extra.
    const before = totalCredits({ ...(await allWallets()), slots: new Map() });
    const owner = walletOwner(50);

    const result = await handoff(dbs, 50, log);

    const after = await allWallets();
    for (const id of playerIds) {
      const home = owner(id);
      expect(after[home].has(id), `${id} with its owner ${home}`).toBe(true);
      expect(after[home === 'slots' ? 'monolith' : 'slots'].has(id)).toBe(false);
    }
    expect(totalCredits(after)).toBe(before);
    const onCanary = playerIds.filter((id) => owner(id) === 'slots').length;
    expect(onCanary).toBeGreaterThan(0);
    expect(onCanary).toBeLessThan(PLAYERS);
    expect(result.toSlots + result.toMonolith + result.discarded).toBe(PLAYERS);
  });

  it('is idempotent: a second run at the same share moves nothing', async () => {
    expect(await handoff(dbs, 50, log)).toEqual({ toSlots: 0, toMonolith: 0, discarded: 0 });
  });

  it('rolls back to 0 % and forward to 100 %, keeping every balance and spin history', async () => {
    const split = await allWallets();
    const balances = new Map([...split.monolith, ...split.slots]);

    await handoff(dbs, 0, log);
    const atZero = await allWallets();
    await handoff(dbs, 100, log);
    const atHundred = await allWallets();

    expect(atZero.slots.size).toBe(0);
    expect(atZero.monolith).toEqual(balances);
    expect(atHundred.monolith.size).toBe(0);
    expect(atHundred.slots).toEqual(balances);
    expect(await dbs.slots.spin.count()).toBe(await dbs.monolith.spin.count());
  });

  it('discards a backfill copy of a wallet the monolith still owns, never copying it back', async () => {
    await handoff(dbs, 0, log);
    await backfill(dbs, 100);
    // The monolith keeps serving its players after the backfill: the copy goes stale.
    const [player] = playerIds as [string];
    const spun = await settleSpin(dbs.monolith, {
      userId: player,
      bet: 5,
      payout: 40,
      reels: ['star', 'star', 'bell'],
      idempotencyKey: 'after-backfill',
    });
    const before = await allWallets();

    const result = await handoff(dbs, 0, log);

    const after = await allWallets();
    expect(spun.kind).toBe('settled');
    expect(result).toEqual({ toSlots: 0, toMonolith: 0, discarded: PLAYERS });
    expect(after.monolith).toEqual(before.monolith);
    expect(after.slots.size).toBe(0);
  });

  it('keeps the copy with the longer history when a player has wallets in both databases', async () => {
    await handoff(dbs, 100, log);
    const [player] = playerIds as [string];
    const real = await dbs.slots.wallet.findUniqueOrThrow({ where: { userId: player } });
    // A stray, fresh wallet at the implementation that does not own the player.
    await dbs.monolith.wallet.create({ data: { userId: player, balance: real.balance + 500 } });

    const stay = await handoff(dbs, 100, log);
    const afterStay = await allWallets();
    await dbs.monolith.wallet.create({ data: { userId: player, balance: real.balance + 500 } });
    const back = await handoff(dbs, 0, log);
    const afterBack = await allWallets();

    expect(stay).toMatchObject({ toSlots: 0, discarded: 1 });
    expect(afterStay.slots.get(player)).toBe(real.balance);
    expect(afterStay.monolith.has(player)).toBe(false);
    expect(back.toMonolith).toBe(PLAYERS);
    expect(afterBack.monolith.get(player)).toBe(real.balance);
    expect(afterBack.slots.size).toBe(0);
  });

  it('writes nothing when both copies of a wallet were played on', async () => {
    await handoff(dbs, 100, log);
    const [player] = playerIds as [string];
    await dbs.monolith.wallet.create({ data: { userId: player, balance: 1_000 } });
    await settleSpin(dbs.monolith, {
      userId: player,
      bet: 5,
      payout: 0,
      reels: ['bell', 'star', 'seven'],
      idempotencyKey: 'played-at-the-wrong-place',
    });
    const before = await allWallets();

    const attempt = handoff(dbs, 0, log);

    await expect(attempt).rejects.toThrow(/diverged history/);
    expect(await allWallets()).toEqual(before);
    // Put it right for the next test: the stray wallet and its spin go.
    await dbs.monolith.spin.deleteMany({ where: { idempotencyKey: 'played-at-the-wrong-place' } });
    await dbs.monolith.wallet.delete({ where: { userId: player } });
    await handoff(dbs, 0, log);
  });

  it('refuses to let go of a wallet whose copy does not match, and deletes nothing', async () => {
    const [victim] = playerIds as [string];
    await handoff(dbs, 0, log);
    // A spin in the slots database that the monolith's history does not have: a stale or
    // tampered copy from an earlier run. Copying skips it (same id), so verification sees it.
    const spin = await dbs.slots.spin.findFirstOrThrow({ where: { userId: victim } });
    await dbs.slots.spin.update({ where: { id: spin.id }, data: { payout: spin.payout + 9 } });
    const before = await allWallets();

    const attempt = handoff(dbs, 100, log);

    await expect(attempt).rejects.toBeInstanceOf(VerificationError);
    await expect(attempt).rejects.toThrow(/net winnings/);
    const after = await allWallets();
    expect(after.monolith).toEqual(before.monolith);
  });
});
