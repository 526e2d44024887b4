import type { Db as MonolithDb } from '@course/monolith/db';
import type { Logger } from '@course/service-kit';
import type { SlotsDatabase } from '../slots/db.ts';
import { type Implementation, walletOwner } from './ownership.ts';

export interface WalletDatabases {
  monolith: MonolithDb;
  slots: SlotsDatabase;
}

interface WalletRow {
  userId: string;
  username: string;
  balance: number;
}

/** One way a player's wallet or history differs between the two databases. */
export interface Mismatch {
  userId: string;
  username: string;
  what: 'balance' | 'spin count' | 'net winnings' | 'wallet missing';
  monolith: number | null;
  slots: number | null;
}

export interface HandoffResult {
  toSlots: number;
  toMonolith: number;
  /** Stale copies of monolith-owned wallets removed from the slots database. */
  discarded: number;
}

export class VerificationError extends Error {
  constructor(readonly mismatches: Mismatch[]) {
    super(
      `${mismatches.length} mismatch(es) between the monolith and slots databases:\n` +
        mismatches.map(describeMismatch).join('\n'),
    );
    this.name = 'VerificationError';
  }
}

export function describeMismatch(m: Mismatch): string {
  return `  ${m.username} (${m.userId}): ${m.what} is ${m.monolith ?? 'absent'} in the monolith, ${m.slots ?? 'absent'} in slots`;
}

/**
 * Copies the wallets and spin history of every player the slots service owns at `share` from
 * the monolith's database into the slots database. Re-runnable: wallets are upserted and spins
 * keep their ids, so a second run changes nothing. The monolith's rows are left in place.
 */
export async function backfill(dbs: WalletDatabases, share: number): Promise<string[]> {
  const owner = walletOwner(share);
  const wallets = (await monolithWallets(dbs.monolith)).filter((w) => owner(w.userId) === 'slots');
  await copyToSlots(dbs, wallets);
  return wallets.map((w) => w.userId);
}

/**
 * Compares, for every player with a wallet in both databases (or only the given players), the
 * balance, the number of spins and the net winnings (payouts − bets). Returns the differences.
 */
export async function verify(dbs: WalletDatabases, only?: readonly string[]): Promise<Mismatch[]> {
  const [inMonolith, inSlots] = await Promise.all([
    monolithWallets(dbs.monolith, only),
    slotsWallets(dbs.slots, only),
  ]);
  const slotsById = new Map(inSlots.map((w) => [w.userId, w]));
  const monolithById = new Map(inMonolith.map((w) => [w.userId, w]));
  const userIds = only ?? inMonolith.map((w) => w.userId).filter((id) => slotsById.has(id));
  const [monolithSpins, slotsSpins] = await Promise.all([
    spinTotals(dbs.monolith, userIds),
    spinTotals(dbs.slots, userIds),
  ]);

  const mismatches: Mismatch[] = [];
  for (const userId of userIds) {
    const m = monolithById.get(userId);
    const s = slotsById.get(userId);
    const username = m?.username ?? s?.username ?? '?';
    const differs = (what: Mismatch['what'], a: number | null, b: number | null) => {
      if (a !== b) mismatches.push({ userId, username, what, monolith: a, slots: b });
    };
    if (!m || !s) {
      differs('wallet missing', m?.balance ?? null, s?.balance ?? null);
      continue;
    }
    differs('balance', m.balance, s.balance);
    const ms = monolithSpins.get(userId) ?? NO_SPINS;
    const ss = slotsSpins.get(userId) ?? NO_SPINS;
    differs('spin count', ms.count, ss.count);
    differs('net winnings', ms.net, ss.net);
  }
  return mismatches;
}

/**
 * Moves every wallet whose owner changes at `share` to its new owner: copy, verify, and only
 * then delete it at the old owner, so each wallet ends up in exactly one database.
 *
 * It must run while no spins are being played (locally it runs before the facade starts): a
 * spin between the copy and the delete would be lost.
 *
 * A wallet found in both databases is a copy the backfill made, or one a handoff that stopped
 * half-way left behind (then both rows are equal). Either way the monolith's row is the one that
 * counts, because copies are only ever written from it: a monolith-owned wallet's copy in the
 * slots database is discarded, never copied back over the newer original.
 */
export async function handoff(
  dbs: WalletDatabases,
  share: number,
  log: Logger,
): Promise<HandoffResult> {
  const owner = walletOwner(share);
  const [inMonolith, inSlots] = await Promise.all([
    monolithWallets(dbs.monolith),
    slotsWallets(dbs.slots),
  ]);
  const inBoth = new Set(ids(inMonolith));
  const toSlots = inMonolith.filter((w) => owner(w.userId) === 'slots');
  const ownedByMonolith = inSlots.filter((w) => owner(w.userId) === 'monolith');
  const toMonolith = ownedByMonolith.filter((w) => !inBoth.has(w.userId));
  const staleCopies = ownedByMonolith.filter((w) => inBoth.has(w.userId));

  await copyToSlots(dbs, toSlots);
  await copyToMonolith(dbs, toMonolith);
  const moved = [...toSlots, ...toMonolith].map((w) => w.userId);
  const mismatches = await verify(dbs, moved);
  if (mismatches.length > 0) throw new VerificationError(mismatches);

  // Only now does the old owner let go: from here on each wallet lives in one database.
  await dbs.monolith.wallet.deleteMany({ where: { userId: { in: ids(toSlots) } } });
  await dbs.slots.wallet.deleteMany({
    where: { userId: { in: ids([...toMonolith, ...staleCopies]) } },
  });
  const result = {
    toSlots: toSlots.length,
    toMonolith: toMonolith.length,
    discarded: staleCopies.length,
  };
  log.info({ share, ...result }, describeHandoff(share, result));
  return result;
}

export function describeHandoff(share: number, result: HandoffResult): string {
  const { toSlots, toMonolith, discarded } = result;
  const stale = discarded > 0 ? `, discarded ${discarded} stale copy(ies)` : '';
  return `slots share ${share} %: moved ${toSlots} wallet(s) monolith → slots and ${toMonolith} slots → monolith${stale}`;
}

function ids(wallets: readonly WalletRow[]): string[] {
  return wallets.map((w) => w.userId);
}

async function monolithWallets(db: MonolithDb, only?: readonly string[]): Promise<WalletRow[]> {
  const rows = await db.wallet.findMany({
    where: only ? { userId: { in: [...only] } } : {},
    select: { userId: true, balance: true, user: { select: { username: true } } },
  });
  return rows.map(({ user, ...wallet }) => ({ ...wallet, username: user.username }));
}

function slotsWallets(db: SlotsDatabase, only?: readonly string[]): Promise<WalletRow[]> {
  return db.wallet.findMany({
    where: only ? { userId: { in: [...only] } } : {},
    select: { userId: true, username: true, balance: true },
  });
}

const spinColumns = {
  id: true,
  userId: true,
  bet: true,
  payout: true,
  reels: true,
  balanceAfter: true,
  idempotencyKey: true,
  createdAt: true,
} as const;

async function copyToSlots({ monolith, slots }: WalletDatabases, wallets: WalletRow[]) {
  if (wallets.length === 0) return;
  const spins = await monolith.spin.findMany({
    where: { userId: { in: ids(wallets) } },
    select: spinColumns,
  });
  await slots.$transaction([
    ...wallets.map(({ userId, username, balance }) =>
      slots.wallet.upsert({
        where: { userId },
        create: { userId, username, balance },
        update: { username, balance },
      }),
    ),
    slots.spin.createMany({ data: spins, skipDuplicates: true }),
  ]);
}

async function copyToMonolith({ monolith, slots }: WalletDatabases, wallets: WalletRow[]) {
  if (wallets.length === 0) return;
  const spins = await slots.spin.findMany({
    where: { userId: { in: ids(wallets) } },
    select: spinColumns,
  });
  await monolith.$transaction([
    ...wallets.map(({ userId, balance }) =>
      monolith.wallet.upsert({
        where: { userId },
        create: { userId, balance },
        update: { balance },
      }),
    ),
    monolith.spin.createMany({ data: spins, skipDuplicates: true }),
  ]);
}

const NO_SPINS = { count: 0, net: 0 };

/** Either database: both have the same spins table. */
interface RawQueries {
  $queryRaw<T>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
}

/** Spins per player and their payouts − bets, in one GROUP BY. */
async function spinTotals(
  db: RawQueries,
  userIds: readonly string[],
): Promise<Map<string, { count: number; net: number }>> {
  const rows = await db.$queryRaw<{ userId: string; count: number; net: bigint }[]>`
    SELECT user_id AS "userId", count(*)::int AS count, sum(payout - bet) AS net
    FROM spins WHERE user_id = ANY(${[...userIds]}::uuid[]) GROUP BY user_id`;
  return new Map(rows.map((row) => [row.userId, { count: row.count, net: Number(row.net) }]));
}

export type { Implementation };
