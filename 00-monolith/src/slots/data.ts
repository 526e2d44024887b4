import type { Db, Queryable } from '../db.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { isForeignKeyViolation, isUniqueViolation } from '../prisma-errors.ts';
import type { LeaderboardEntry, SpinRecord } from './domain.ts';

const spinFields = {
  id: true,
  bet: true,
  payout: true,
  reels: true,
  balanceAfter: true,
  createdAt: true,
} as const;

function toRecord({
  balanceAfter,
  ...spin
}: Prisma.SpinGetPayload<{ select: typeof spinFields }>): SpinRecord {
  return { ...spin, balance: balanceAfter };
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

export async function readBalance(
  db: Db | Prisma.TransactionClient,
  userId: string,
): Promise<number> {
  const wallet = await db.wallet.findUniqueOrThrow({
    where: { userId },
    select: { balance: true },
  });
  return wallet.balance;
}

export async function findSpinByKey(
  db: Queryable,
  userId: string,
  idempotencyKey: string,
): Promise<SpinRecord | null> {
  const spin = await db.spin.findUnique({
    where: { userId_idempotencyKey: { userId, idempotencyKey } },
    select: spinFields,
  });
  return spin && toRecord(spin);
}

export type SpinOutcome =
  | { kind: 'settled'; spin: SpinRecord }
  | { kind: 'replayed'; spin: SpinRecord }
  | { kind: 'insufficient-credits'; balance: number };

/**
 * Settles a spin: debit the bet, credit the payout and record the spin in one transaction.
 *
 * The wallet update is conditional (`WHERE balance >= bet`), so Postgres's row lock decides
 * between concurrent spins: a spin that would overdraw changes nothing. A retry racing its
 * original (same Idempotency-Key) ends with the original spin either way: its debit finds the
 * wallet spent and then the first spin, or its insert hits the unique index and the
 * transaction rolls back (no second debit).
 */
export async function settleSpin(
  db: Db,
  spin: {
    userId: string;
    bet: number;
    payout: number;
    reels: readonly string[];
    idempotencyKey: string | null;
  },
): Promise<SpinOutcome> {
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

export async function listSpins(db: Db, userId: string, limit: number): Promise<SpinRecord[]> {
  const rows = await db.spin.findMany({
    where: { userId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
    select: spinFields,
  });
  return rows.map(toRecord);
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
