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
  updatedAt: Date;
}

/** One way a player's wallet or history differs between the two databases. */
export interface Mismatch {
  userId: string;
  username: string;
  what: 'balance' | 'spin count' | 'net winnings' | 'wallet missing' | 'diverged history';
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
 * It must run while no spins are being played (locally it runs before the facade starts; on AWS
 * the slots routes are frozen first). As a guard, a wallet is deleted only if it is still exactly
 * as it was copied; otherwise the handoff stops, and the next run starts from the newer row.
 *
 * A wallet found in both databases is a backfill copy, or one that a handoff stopped half-way
 * left behind. Spins are only ever appended, so the copy whose spins include all of the other's
 * is the newer one: it counts, and the older one is replaced or discarded. Two copies where each
 * has spins the other lacks were both played on; the handoff then writes nothing and names them.
 */
export async function handoff(
  dbs: WalletDatabases,
  share: number,
  log: Logger,
): Promise<HandoffResult> {
  const plan = await planHandoff(dbs, walletOwner(share));
  if (plan.conflicts.length > 0) throw new VerificationError(plan.conflicts);

  await copyToSlots(dbs, plan.toSlots);
  await copyToMonolith(dbs, plan.toMonolith);
  const moved = ids([...plan.toSlots, ...plan.toMonolith]);
  const mismatches = await verify(dbs, moved);
  if (mismatches.length > 0) throw new VerificationError(mismatches);

  // Only now does the old owner let go: from here on each wallet lives in one database.
  await deleteUnchanged(dbs.monolith, [...plan.toSlots, ...plan.outdated.monolith]);
  await deleteUnchanged(dbs.slots, [...plan.toMonolith, ...plan.outdated.slots]);
  const result = {
    toSlots: plan.toSlots.length,
    toMonolith: plan.toMonolith.length,
    discarded: plan.outdated.monolith.length + plan.outdated.slots.length,
  };
  log.info({ share, ...result }, describeHandoff(share, result));
  return result;
}

interface HandoffPlan {
  /** Wallets to copy from the monolith to the slots database, and the other way. */
  toSlots: WalletRow[];
  toMonolith: WalletRow[];
  /** Older copies of wallets whose newer copy already sits with their owner. */
  outdated: Record<Implementation, WalletRow[]>;
  /** Players whose two copies were both played on. */
  conflicts: Mismatch[];
}

/** Decides, before anything is written, where each wallet comes from and where it goes. */
async function planHandoff(
  dbs: WalletDatabases,
  owner: (playerId: string) => Implementation,
): Promise<HandoffPlan> {
  const [inMonolith, inSlots] = await Promise.all([
    monolithWallets(dbs.monolith),
    slotsWallets(dbs.slots),
  ]);
  const copies = { monolith: byId(inMonolith), slots: byId(inSlots) };
  const inBoth = inMonolith.filter((w) => copies.slots.has(w.userId)).map((w) => w.userId);
  const [monolithSpins, slotsSpins] = await Promise.all([
    spinHistories(dbs.monolith, inBoth),
    spinHistories(dbs.slots, inBoth),
  ]);

  const plan: HandoffPlan = {
    toSlots: [],
    toMonolith: [],
    outdated: { monolith: [], slots: [] },
    conflicts: [],
  };
  for (const userId of new Set([...copies.monolith.keys(), ...copies.slots.keys()])) {
    const home = owner(userId);
    const m = copies.monolith.get(userId);
    const s = copies.slots.get(userId);
    let newer: Implementation | 'equal' | 'diverged' = m ? 'monolith' : 'slots';
    if (m && s) newer = newerCopy(m, s, monolithSpins.get(userId), slotsSpins.get(userId));
    if (newer === 'diverged') {
      const count = (history?: History) => history?.ids.size ?? 0;
      plan.conflicts.push({
        userId,
        username: m?.username ?? '?',
        what: 'diverged history',
        monolith: count(monolithSpins.get(userId)),
        slots: count(slotsSpins.get(userId)),
      });
      continue;
    }
    const source = newer === 'equal' ? home : newer;
    const row = source === 'monolith' ? m : s;
    if (row === undefined) continue;
    if (source !== home) {
      // The newer copy is with the old owner: move it (over any older copy at home).
      plan[home === 'slots' ? 'toSlots' : 'toMonolith'].push(row);
      continue;
    }
    const other = source === 'monolith' ? s : m;
    if (other) plan.outdated[source === 'monolith' ? 'slots' : 'monolith'].push(other);
  }
  return plan;
}

/**
 * Which of two copies of a wallet is newer, by their append-only spin histories. With the same
 * spins on both sides, the right balance is the one the latest spin left (a wallet opened by
 * mistake at the other implementation still shows the starting credits).
 */
function newerCopy(
  m: WalletRow,
  s: WalletRow,
  monolith: History = NO_HISTORY,
  slots: History = NO_HISTORY,
): Implementation | 'equal' | 'diverged' {
  const monolithHasAll = [...slots.ids].every((id) => monolith.ids.has(id));
  const slotsHasAll = [...monolith.ids].every((id) => slots.ids.has(id));
  // The longer history must go on from where the shorter copy's balance stands.
  if (monolithHasAll && !slotsHasAll)
    return continues(monolith, slots, s) ? 'monolith' : 'diverged';
  if (slotsHasAll && !monolithHasAll) return continues(slots, monolith, m) ? 'slots' : 'diverged';
  if (!monolithHasAll) return 'diverged';
  if (m.balance === s.balance) return 'equal';
  const latest = monolith.latestBalance;
  if (latest === undefined) return 'diverged';
  if (m.balance === latest) return 'monolith';
  if (s.balance === latest) return 'slots';
  return 'diverged';
}

/** Deletes each wallet only if it is unchanged since it was read; throws if one was not. */
async function deleteUnchanged(db: RawQueries, wallets: readonly WalletRow[]): Promise<void> {
  for (const { userId, balance, updatedAt, username } of wallets) {
    // Both databases have the same wallets table, so one statement serves both.
    const deleted = await db.$executeRaw`
      DELETE FROM wallets WHERE user_id = ${userId}::uuid
        AND balance = ${balance} AND updated_at = ${updatedAt}`;
    if (deleted !== 1) {
      throw new Error(
        `The wallet of ${username} changed during the handoff: stop the spins (freeze the ` +
          'slots routes) and run the handoff again.',
      );
    }
  }
}

function byId(wallets: readonly WalletRow[]): Map<string, WalletRow> {
  return new Map(wallets.map((w) => [w.userId, w]));
}

/** True if the first spin `longer` has beyond `shorter` started from `shorterCopy`'s balance. */
function continues(longer: History, shorter: History, shorterCopy: WalletRow): boolean {
  const first = longer.spins.find((spin) => !shorter.ids.has(spin.id));
  return first?.balanceBefore === shorterCopy.balance;
}

/** A player's spins in order (id, balance before), and the balance the latest one left. */
interface History {
  ids: Set<string>;
  spins: { id: string; balanceBefore: number }[];
  latestBalance?: number;
}

const NO_HISTORY: History = { ids: new Set(), spins: [] };

async function spinHistories(
  db: RawQueries,
  userIds: readonly string[],
): Promise<Map<string, History>> {
  const rows = await db.$queryRaw<
    { userId: string; id: string; balanceAfter: number; balanceBefore: number }[]
  >`
    SELECT user_id AS "userId", id, balance_after AS "balanceAfter",
      balance_after - payout + bet AS "balanceBefore" FROM spins
    WHERE user_id = ANY(${[...userIds]}::uuid[]) ORDER BY created_at, id`;
  const histories = new Map<string, History>();
  for (const { userId, id, balanceAfter, balanceBefore } of rows) {
    const history = histories.get(userId) ?? { ids: new Set<string>(), spins: [] };
    history.ids.add(id);
    history.spins.push({ id, balanceBefore });
    history.latestBalance = balanceAfter;
    histories.set(userId, history);
  }
  return histories;
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
    select: { userId: true, balance: true, updatedAt: true, user: { select: { username: true } } },
  });
  return rows.map(({ user, ...wallet }) => ({ ...wallet, username: user.username }));
}

function slotsWallets(db: SlotsDatabase, only?: readonly string[]): Promise<WalletRow[]> {
  return db.wallet.findMany({
    where: only ? { userId: { in: [...only] } } : {},
    select: { userId: true, username: true, balance: true, updatedAt: true },
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
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
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
