import type { DomainEvent } from '@course/contract/events';
import {
  findSpinByKey,
  listSpins,
  readBalance,
  type SlotsDb,
  settleSpin,
} from '@course/monolith/slots/data';
import type { SlotsStore, SpinOutcome, SpinRecord } from '@course/monolith/slots/use-cases';
import { findWinningLine, isSymbolId } from '@course/slot-machine';
import { appendEvent, type EventDraft } from '../events/outbox.ts';
import type { AsyncSlotsDatabase } from './database.ts';
import { topEntries } from './leaderboard.ts';

/** A slots store that also says which events it wrote, for the relay to publish. */
export interface AsyncSlotsStore extends SlotsStore {
  /** The ids of the events this store has committed, oldest first. */
  writtenEvents(): readonly string[];
}

export interface AsyncSlotsStoreOptions {
  /** The X-Request-Id of the request this store serves: every event it writes carries it. */
  traceId: string;
  clock?: () => Date;
}

/**
 * Stage 01's slots store with events: built per request, bound to its trace id. Spins are stage
 * 00's money-moving code, unchanged; what is new happens in the same transactions:
 * - ensureWallet writes `WalletOpened` when it actually opens the wallet (not when it exists);
 * - settleSpin writes `SpinSettled` when the spin is settled (not on a replay or a refusal):
 *   stage 00's settleSpin runs over a database whose `$transaction` appends the event before the
 *   commit when the transaction's outcome is a settled spin.
 * The leaderboard (topWallets) is the read model the projector maintains from those events.
 */
export function asyncSlotsStore(
  db: AsyncSlotsDatabase,
  { traceId, clock = () => new Date() }: AsyncSlotsStoreOptions,
): AsyncSlotsStore {
  const written: string[] = [];
  const context = () => ({ traceId, time: clock() });

  /**
   * Stage 00's view of the database for one spin of `userId`: its transaction ends with the
   * spin's event when it settled the spin.
   */
  const withSpinEvent = (userId: string): SlotsDb => ({
    wallet: db.wallet,
    spin: db.spin,
    async $transaction(run) {
      let event: DomainEvent | undefined;
      const result = await db.$transaction(async (tx) => {
        const outcome = await run(tx);
        const spin = settledSpinOf(outcome);
        if (spin) {
          const { username } = await tx.wallet.findUniqueOrThrow({
            where: { userId },
            select: { username: true },
          });
          event = await appendEvent(tx, spinSettled(userId, username, spin), context());
        }
        return outcome;
      });
      // Only once committed: a transaction that failed to commit wrote nothing to publish.
      if (event) written.push(event.id);
      return result;
    },
  });

  return {
    async ensureWallet(player, startingBalance) {
      // The common case, a wallet that exists, costs one read and no transaction. Two first
      // requests racing past it both try the insert below; only one of them opens the wallet.
      const existing = await db.wallet.findUnique({
        where: { userId: player.id },
        select: { userId: true },
      });
      if (existing) return true;
      const event = await db.$transaction(async (tx) => {
        const { count } = await tx.wallet.createMany({
          data: [{ userId: player.id, username: player.username, balance: startingBalance }],
          skipDuplicates: true,
        });
        if (count === 0) return undefined;
        const draft: EventDraft = {
          type: 'WalletOpened',
          data: { playerId: player.id, username: player.username, balance: startingBalance },
        };
        return appendEvent(tx, draft, context());
      });
      if (event) written.push(event.id);
      return true;
    },
    readBalance: (userId) => readBalance(db, userId),
    findSpinByKey: (userId, key) => findSpinByKey(db, userId, key),
    settleSpin: (spin) => settleSpin(withSpinEvent(spin.userId), spin),
    listSpins: (userId, limit) => listSpins(db, userId, limit),
    topWallets: (limit) => topEntries(db, limit),
    writtenEvents: () => [...written],
  };
}

/**
 * The spin a transaction of stage 00's settleSpin settled, if it did. Its outcome is a
 * SpinOutcome, but `$transaction` is generic over what it returns, so the check is on the value.
 */
function settledSpinOf(outcome: unknown): SpinRecord | undefined {
  if (typeof outcome !== 'object' || outcome === null) return undefined;
  const { kind, spin } = outcome as Partial<Extract<SpinOutcome, { kind: 'settled' }>>;
  return kind === 'settled' ? spin : undefined;
}

function spinSettled(playerId: string, username: string, spin: SpinRecord): EventDraft {
  const line = lineOf(spin.reels);
  return {
    type: 'SpinSettled',
    data: {
      playerId,
      username,
      spinId: spin.id,
      bet: spin.bet,
      payout: spin.payout,
      balance: spin.balance,
      reels: spin.reels,
      ...(line ? { line } : {}),
    },
  };
}

/** The paytable line the reels paid on, e.g. "Three sevens"; none on a loss. */
function lineOf(reels: readonly string[]): string | undefined {
  const [left, middle, right] = reels;
  if (left === undefined || middle === undefined || right === undefined) return undefined;
  if (!isSymbolId(left) || !isSymbolId(middle) || !isSymbolId(right)) return undefined;
  return findWinningLine([left, middle, right])?.label;
}
