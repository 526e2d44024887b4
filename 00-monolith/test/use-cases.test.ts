import { rejectionOf } from '@course/local';
import { HttpError } from '@course/service-kit';
import { type RandomSource, seededRandom } from '@course/slot-machine';
import { describe, expect, it } from 'vitest';
import { machine } from '../src/slots/domain.ts';
import {
  LEADERBOARD_SIZE,
  type LeaderboardEntry,
  type SlotsStore,
  type SpinRecord,
  type SpinToSettle,
  slotsUseCases,
} from '../src/slots/use-cases.ts';

/*
 * The slots use cases over an in-memory store: the rules of a spin (validation, idempotent
 * replay, settlement, every refusal) without HTTP and without a database. The money-moving SQL
 * is tested on a real Postgres in spins.test.ts; the HTTP answers in the conformance suite.
 */

const ADA = { id: '0b9b4a0e-6f8e-4d8a-9d6c-2f1f6b1f7a11', username: 'ada' };
const GONE = { id: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a', username: 'gone' };

/** A store in memory with the same contract as the SQL one; `gone` players have no account. */
class MemoryStore implements SlotsStore {
  readonly wallets = new Map<string, number>();
  readonly spins: (SpinRecord & { userId: string; idempotencyKey: string | null })[] = [];
  readonly settled: SpinToSettle[] = [];
  topWalletsAskedFor: number | undefined;
  /** When set, settleSpin answers as if a concurrent request with the same key had won. */
  raceWinner: SpinRecord | undefined;

  constructor(readonly gone = new Set<string>([GONE.id])) {}

  async ensureWallet(player: { id: string }, startingBalance: number) {
    if (this.gone.has(player.id)) return false;
    if (!this.wallets.has(player.id)) this.wallets.set(player.id, startingBalance);
    return true;
  }
  async readBalance(userId: string) {
    return this.wallets.get(userId) ?? 0;
  }
  async findSpinByKey(userId: string, key: string) {
    const found = this.spins.find((s) => s.userId === userId && s.idempotencyKey === key);
    return found ? recordOf(found) : null;
  }
  async settleSpin(spin: SpinToSettle) {
    this.settled.push(spin);
    if (this.raceWinner) return { kind: 'replayed' as const, spin: this.raceWinner };
    const balance = this.wallets.get(spin.userId) ?? 0;
    if (balance < spin.bet) return { kind: 'insufficient-credits' as const, balance };
    const after = balance - spin.bet + spin.payout;
    this.wallets.set(spin.userId, after);
    const record = {
      id: `spin-${this.spins.length + 1}`,
      bet: spin.bet,
      payout: spin.payout,
      reels: [...spin.reels],
      balance: after,
      createdAt: new Date(1_700_000_000_000 + this.spins.length),
    };
    this.spins.push({ ...record, userId: spin.userId, idempotencyKey: spin.idempotencyKey });
    return { kind: 'settled' as const, spin: record };
  }
  async listSpins(userId: string, limit: number) {
    return this.spins
      .filter((s) => s.userId === userId)
      .reverse()
      .slice(0, limit)
      .map(recordOf);
  }
  async topWallets(limit: number): Promise<LeaderboardEntry[]> {
    this.topWalletsAskedFor = limit;
    return [...this.wallets]
      .sort(([, a], [, b]) => b - a)
      .slice(0, limit)
      .map(([userId, balance], i) => ({ rank: i + 1, userId, username: userId, balance }));
  }
}

function recordOf({ id, bet, payout, reels, balance, createdAt }: SpinRecord): SpinRecord {
  return { id, bet, payout, reels, balance, createdAt };
}

function slotsWith(rng: RandomSource = seededRandom(7)) {
  const store = new MemoryStore();
  return { store, slots: slotsUseCases({ store, rng }) };
}

function refusal(promise: Promise<unknown>): Promise<HttpError> {
  return rejectionOf(promise, HttpError);
}

describe('slotsUseCases', () => {
  it('describes the machine', () => {
    const { slots } = slotsWith();

    expect(slots.machine()).toBe(machine);
  });

  it("opens a player's wallet with the starting balance on first touch", async () => {
    const { slots } = slotsWith();

    expect(await slots.wallet(ADA)).toEqual({ balance: machine.startingBalance });
  });

  it('refuses a player whose account no longer exists with 401', async () => {
    const { slots } = slotsWith();

    const error = await refusal(slots.wallet(GONE));

    expect(error).toMatchObject({ status: 401, headers: { 'WWW-Authenticate': 'Bearer' } });
  });

  describe('spin', () => {
    it('debits the bet, credits the payout and returns the settled spin', async () => {
      const { slots, store } = slotsWith();

      const { spin, replayed } = await slots.spin(ADA, {
        body: { bet: 5 },
        idempotencyKey: undefined,
      });

      expect(replayed).toBe(false);
      expect(spin.bet).toBe(5);
      expect(spin.reels).toHaveLength(3);
      expect(spin.balance).toBe(machine.startingBalance - 5 + spin.payout);
      expect(store.settled).toEqual([
        { userId: ADA.id, bet: 5, payout: spin.payout, reels: spin.reels, idempotencyKey: null },
      ]);
    });

    it('draws the reels from the injected random source', async () => {
      const first = await slotsWith(seededRandom(1)).slots.spin(ADA, {
        body: { bet: 1 },
        idempotencyKey: undefined,
      });
      const again = await slotsWith(seededRandom(1)).slots.spin(ADA, {
        body: { bet: 1 },
        idempotencyKey: undefined,
      });

      expect(again.spin.reels).toEqual(first.spin.reels);
    });

    it.each([
      ['no body', undefined, ''],
      ['a bet above the maximum', { bet: machine.maxBet + 1 }, 'bet'],
      ['a bet below the minimum', { bet: machine.minBet - 1 }, 'bet'],
      ['a fractional bet', { bet: 1.5 }, 'bet'],
      ['a bet as text', { bet: '5' }, 'bet'],
    ])('refuses %s with a 422 naming the field, and settles nothing', async (_, body, path) => {
      const { slots, store } = slotsWith();

      const error = await refusal(slots.spin(ADA, { body, idempotencyKey: undefined }));

      expect(error.status).toBe(422);
      expect(error.type).toBe('/problems/validation');
      expect(error.errors?.map((e) => e.path)).toEqual([path]);
      expect(store.settled).toEqual([]);
    });

    it.each([
      ['an empty key', ''],
      ['a key with a space', 'two words'],
      ['a key over 128 characters', 'k'.repeat(129)],
    ])('refuses %s with 400, before looking at the body', async (_, idempotencyKey) => {
      const { slots } = slotsWith();

      const error = await refusal(slots.spin(ADA, { body: { bet: 'x' }, idempotencyKey }));

      expect(error.status).toBe(400);
      expect(error.detail).toBe('Idempotency-Key must be 1-128 of A-Z a-z 0-9 _ . : -');
    });

    it('refuses a bet larger than the balance with 409 insufficient-credits', async () => {
      const { slots, store } = slotsWith();
      await slots.wallet(ADA);
      store.wallets.set(ADA.id, 3);

      const error = await refusal(slots.spin(ADA, { body: { bet: 5 }, idempotencyKey: undefined }));

      expect(error).toMatchObject({
        status: 409,
        type: '/problems/insufficient-credits',
        title: 'Insufficient credits',
        detail: 'A bet of 5 needs more than the 3 credits in the wallet.',
      });
      expect(store.wallets.get(ADA.id)).toBe(3);
    });

    it('refuses a spin by a player whose account no longer exists with 401', async () => {
      const { slots, store } = slotsWith();

      const error = await refusal(
        slots.spin(GONE, { body: { bet: 5 }, idempotencyKey: undefined }),
      );

      expect(error.status).toBe(401);
      expect(store.settled).toEqual([]);
    });

    it('answers a retry with the same Idempotency-Key with the first spin, without paying twice', async () => {
      const { slots, store } = slotsWith();
      const request = { body: { bet: 5 }, idempotencyKey: 'retry-me:1' };
      const first = await slots.spin(ADA, request);

      const retry = await slots.spin(ADA, request);

      expect(retry).toEqual({ spin: first.spin, replayed: true });
      expect(store.settled).toHaveLength(1);
      expect(await slots.wallet(ADA)).toEqual({ balance: first.spin.balance });
    });

    it('refuses an Idempotency-Key reused for a different bet with 422', async () => {
      const { slots } = slotsWith();
      await slots.spin(ADA, { body: { bet: 5 }, idempotencyKey: 'once' });

      const error = await refusal(slots.spin(ADA, { body: { bet: 6 }, idempotencyKey: 'once' }));

      expect(error).toMatchObject({ status: 422, type: '/problems/idempotency-key-reused' });
    });

    it('replays the spin of a concurrent request with the same key that settled first', async () => {
      const { slots, store } = slotsWith();
      const winner = await slots.spin(ADA, { body: { bet: 5 }, idempotencyKey: undefined });
      store.raceWinner = winner.spin;

      const loser = await slots.spin(ADA, { body: { bet: 5 }, idempotencyKey: 'raced' });
      const otherBet = await refusal(
        slots.spin(ADA, { body: { bet: 6 }, idempotencyKey: 'raced' }),
      );

      expect(loser).toEqual({ spin: winner.spin, replayed: true });
      expect(otherBet.status).toBe(422);
    });
  });

  describe('history', () => {
    it("lists the player's own spins, newest first, 20 by default", async () => {
      const { slots } = slotsWith();
      const spins = [];
      for (let i = 0; i < 22; i++) {
        spins.push((await slots.spin(ADA, { body: { bet: 1 }, idempotencyKey: undefined })).spin);
      }

      const { items } = await slots.history(ADA, {});

      expect(items).toHaveLength(20);
      expect(items[0]).toEqual(spins.at(-1));
    });

    it('takes the limit from the query string as text', async () => {
      const { slots } = slotsWith();
      await slots.spin(ADA, { body: { bet: 1 }, idempotencyKey: undefined });
      await slots.spin(ADA, { body: { bet: 1 }, idempotencyKey: undefined });

      expect((await slots.history(ADA, { limit: '1' })).items).toHaveLength(1);
    });

    it.each([['abc'], ['0'], ['101'], ['a\u0000']])(
      'refuses the limit %j with 400 naming the field',
      async (limit) => {
        const { slots } = slotsWith();

        const error = await refusal(slots.history(ADA, { limit }));

        expect(error.status).toBe(400);
        expect(error.errors?.map((e) => e.path)).toEqual(['limit']);
      },
    );
  });

  it(`ranks the top ${LEADERBOARD_SIZE} wallets`, async () => {
    const { slots, store } = slotsWith();
    await slots.wallet(ADA);

    const { items } = await slots.leaderboard();

    expect(store.topWalletsAskedFor).toBe(LEADERBOARD_SIZE);
    expect(items).toEqual([
      { rank: 1, userId: ADA.id, username: ADA.id, balance: machine.startingBalance },
    ]);
  });
});
