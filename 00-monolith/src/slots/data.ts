import type { AuthUser } from '@course/service-kit/core';
import type { Db } from '../db.ts';
import { isForeignKeyViolation, isUniqueViolation } from '../prisma-errors.ts';
import type { LeaderboardEntry, SpinRecord } from './domain.ts';
import type { SlotsStore, SpinOutcome, SpinToSettle } from './store.ts';

const spinFields = {
  id: true,
  bet: true,
  payout: true,
  reels: true,
  balanceAfter: true,
  createdAt: true,
} as const;

interface SpinRow {
  id: string;
  bet: number;
  payout: number;
  reels: string[];
  balanceAfter: number;
  createdAt: Date;
}

/**
 * The wallets and spins tables, as far as the functions below use them. Any Prisma client whose
 * schema has the `Wallet` and `Spin` models fits: the monolith's, and the slots service's own in
 * stage 01, so the money-moving code exists once.
 */
export interface SlotsTables {
  wallet: {
    findUniqueOrThrow(args: {
      where: { userId: string };
      select: { balance: true };
    }): PromiseLike<{ balance: number }>;
    updateMany(args: {
      where: { userId: string; balance: { gte: number } };
      data: { balance: { increment: number } };
    }): PromiseLike<{ count: number }>;
  };
  spin: {
    findUnique(args: {
      where: { userId_idempotencyKey: { userId: string; idempotencyKey: string } };
      select: typeof spinFields;
    }): PromiseLike<SpinRow | null>;
    findMany(args: {
      where: { userId: string };
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }];
      take: number;
      select: typeof spinFields;
    }): PromiseLike<SpinRow[]>;
    create(args: {
      data: {
        userId: string;
        bet: number;
        payout: number;
        reels: string[];
        balanceAfter: number;
        idempotencyKey: string | null;
      };
      select: typeof spinFields;
    }): PromiseLike<SpinRow>;
  };
}

/** SlotsTables plus interactive transactions: a Prisma client itself. */
export interface SlotsDb extends SlotsTables {
  $transaction<R>(run: (tx: SlotsTables) => Promise<R>): Promise<R>;
}

function toRecord({ balanceAfter, ...spin }: SpinRow): SpinRecord {
  return { ...spin, balance: balanceAfter };
}

export async function readBalance(db: SlotsTables, userId: string): Promise<number> {
  const wallet = await db.wallet.findUniqueOrThrow({
    where: { userId },
    select: { balance: true },
  });
  return wallet.balance;
}

export async function findSpinByKey(
  db: SlotsTables,
  userId: string,
  idempotencyKey: string,
): Promise<SpinRecord | null> {
  const spin = await db.spin.findUnique({
    where: { userId_idempotencyKey: { userId, idempotencyKey } },
    select: spinFields,
  });
  return spin && toRecord(spin);
}

/**
 * Settles a spin: debit the bet, credit the payout and record the spin in one transaction.
 *
 * The wallet update is conditional (`WHERE balance >= bet`), so Postgres's row lock decides
 * between concurrent spins: a spin that would overdraw changes nothing. A retry racing its
 * original (same Idempotency-Key) ends with the original spin either way: its debit finds the
 * wallet spent and then the first spin, or its insert hits the unique index and the
 * transaction rolls back (no second debit).
 */
export async function settleSpin(db: SlotsDb, spin: SpinToSettle): Promise<SpinOutcome> {
  const { userId, bet, payout, reels, idempotencyKey } = spin;
  try {
    return await db.$transaction(async (tx) => {
      const debited = await tx.wallet.updateMany({
        where: { userId, balance: { gte: bet } },
        data: { balance: { increment: payout - bet } },
      });
      if (debited.count === 0) {
        // The debit waited for any concurrent spin of this player to commit. If that was the
        // first try of this very request, this is its retry: answer with the spin it settled.
        const first = idempotencyKey && (await findSpinByKey(tx, userId, idempotencyKey));
        if (first) return { kind: 'replayed', spin: first } as const;
        return { kind: 'insufficient-credits', balance: await readBalance(tx, userId) } as const;
      }
      const balance = await readBalance(tx, userId);
      const row = await tx.spin.create({
        data: { userId, bet, payout, reels: [...reels], balanceAfter: balance, idempotencyKey },
        select: spinFields,
      });
      return { kind: 'settled', spin: toRecord(row) } as const;
    });
  } catch (err) {
    const first =
      idempotencyKey && isUniqueViolation(err) && (await findSpinByKey(db, userId, idempotencyKey));
    if (first) return { kind: 'replayed', spin: first };
    throw err;
  }
}

export async function listSpins(
  db: SlotsTables,
  userId: string,
  limit: number,
): Promise<SpinRecord[]> {
  const rows = await db.spin.findMany({
    where: { userId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
    select: spinFields,
  });
  return rows.map(toRecord);
}

/**
 * Creates the player's wallet on first touch. INSERT … ON CONFLICT DO NOTHING makes two
 * first requests racing each other harmless. Returns false if the user no longer exists.
 */
export async function ensureWallet(
  db: Db,
  userId: string,
  startingBalance: number,
): Promise<boolean> {
  try {
    await db.wallet.createMany({
      data: [{ userId, balance: startingBalance }],
      skipDuplicates: true,
    });
    return true;
  } catch (err) {
    if (isForeignKeyViolation(err)) return false;
    throw err;
  }
}

export async function topWallets(db: Db, limit: number): Promise<LeaderboardEntry[]> {
  const rows = await db.wallet.findMany({
    orderBy: [{ balance: 'desc' }, { user: { username: 'asc' } }],
    take: limit,
    select: { balance: true, user: { select: { id: true, username: true } } },
  });
  return rows.map((row, i) => ({
    rank: i + 1,
    userId: row.user.id,
    username: row.user.username,
    balance: row.balance,
  }));
}

/** The monolith's slots store: wallets and spins beside the users table they refer to. */
export function monolithSlotsStore(db: Db): SlotsStore {
  return {
    ensureWallet: (player: AuthUser, startingBalance) =>
      ensureWallet(db, player.id, startingBalance),
    readBalance: (userId) => readBalance(db, userId),
    findSpinByKey: (userId, key) => findSpinByKey(db, userId, key),
    settleSpin: (spin) => settleSpin(db, spin),
    listSpins: (userId, limit) => listSpins(db, userId, limit),
    topWallets: (limit) => topWallets(db, limit),
  };
}
