/*
 * Stage 04's slots seed: stage 02's demo wallets and spins, then a WalletOpened event in the
 * outbox for every wallet that has none. Stage 02's seed writes the wallets directly, and so did
 * every stage before this one: those wallets predate the events, and without an event of their
 * own they would never reach the leaderboard, which is built from events only. Such a wallet
 * enters the stream with one WalletOpened carrying its balance at that moment; the sweeper
 * publishes it within a minute (or so), and the projector puts the player on the leaderboard.
 *
 * Idempotent: a wallet that has its WalletOpened gets no second one, so it can run on every
 * start, and on a database carried over from an earlier stage.
 *
 *   DATABASE_URL=… node --import tsx src/slots/seed.ts
 */
import { seeds } from '@course/containers/seed';
import { createLogger, parseConfig } from '@course/service-kit/core';
import { z } from 'zod';
import { appendEvent } from '../events/outbox.ts';
import { type AsyncSlotsDatabase, createDb } from './database.ts';

/** The trace id of the events the backfill writes: no request caused them. */
export const BACKFILL_TRACE_ID = 'seed-wallet-backfill';

/**
 * Writes a WalletOpened for every wallet without one, each in a transaction that locks the
 * wallet first: a spin of that player running at the same time commits before (and its own
 * event, if any, has a lower position) or after (a higher one). Returns how many it wrote.
 */
export async function backfillWalletEvents(
  db: AsyncSlotsDatabase,
  { clock = () => new Date() }: { clock?: () => Date } = {},
): Promise<number> {
  const missing = await walletsWithoutEvents(db);
  let written = 0;
  for (const { user_id: playerId } of missing) {
    const wrote = await db.$transaction(async (tx) => {
      const [wallet] = await tx.$queryRaw<{ username: string; balance: number }[]>`
        SELECT username, balance FROM wallets WHERE user_id = ${playerId}::uuid FOR UPDATE`;
      // Checked again under the lock: another backfill may have written it meanwhile.
      if (!wallet || !(await hasNoWalletOpened(tx, playerId))) return false;
      await appendEvent(
        tx,
        { type: 'WalletOpened', data: { playerId, ...wallet } },
        { traceId: BACKFILL_TRACE_ID, time: clock() },
      );
      return true;
    });
    if (wrote) written += 1;
  }
  return written;
}

type Queries = Pick<AsyncSlotsDatabase, '$queryRaw'>;

function walletsWithoutEvents(db: Queries) {
  return db.$queryRaw<{ user_id: string }[]>`
    SELECT w.user_id::text AS user_id FROM wallets w
    WHERE NOT EXISTS (
      SELECT 1 FROM outbox o
      WHERE o.type = 'WalletOpened' AND o.event -> 'data' ->> 'playerId' = w.user_id::text)
    ORDER BY w.user_id`;
}

async function hasNoWalletOpened(db: Queries, playerId: string): Promise<boolean> {
  const found = await db.$queryRaw<unknown[]>`
    SELECT 1 FROM outbox
    WHERE type = 'WalletOpened' AND event -> 'data' ->> 'playerId' = ${playerId}`;
  return found.length === 0;
}

// Run as a program by the stage runner: `node --import tsx src/slots/seed.ts`.
if (import.meta.main) {
  const { DATABASE_URL } = parseConfig(z.object({ DATABASE_URL: z.string().min(1) }));
  const log = createLogger({ service: 'seed-slots' });
  const demo = await seeds.slots(DATABASE_URL);
  const db = createDb(DATABASE_URL, 1);
  try {
    const events = await backfillWalletEvents(db);
    log.info({ demo, walletOpenedWritten: events }, 'demo data and wallet events');
  } finally {
    await db.$disconnect();
  }
}
