/*
 * The leaderboard read model (CQRS): a table of its own, `leaderboard_entries`, that only the
 * projector writes, from the events, and that the leaderboard and the forum's badges read. The
 * use cases that move money never touch it, and reading it costs the wallets nothing.
 *
 * It is eventually consistent: a spin shows up here once its event has gone through SNS and the
 * leaderboard queue, usually well under a second later. `asOf` says how fresh it is.
 */
import type { DomainEvent } from '@course/contract/events';
import { LEADERBOARD_SIZE, type LeaderboardEntry } from '@course/monolith/slots/use-cases';
import type { AsyncSlotsDatabase } from './database.ts';

export interface Leaderboard {
  items: LeaderboardEntry[];
  /** The time of the newest event the leaderboard reflects; absent while it reflects none. */
  asOf?: string;
}

/**
 * Applies one event to the projection, in one statement: the player's row takes the event's
 * balance and sequence unless it already holds that sequence or a later one. So an event applied
 * twice changes nothing, and an older event arriving after a newer one is ignored: whatever the
 * order and the duplicates of a player's events, the row ends as the newest of them says.
 * Returns whether the event changed the row.
 */
export async function applyEvent(db: AsyncSlotsDatabase, event: DomainEvent): Promise<boolean> {
  const { playerId, username, balance, sequence } = event.data;
  const changed = await db.$executeRaw`
    INSERT INTO leaderboard_entries AS stored (player_id, username, balance, sequence, event_time)
    VALUES (${playerId}::uuid, ${username}, ${balance}, ${sequence}, ${new Date(event.time)})
    ON CONFLICT (player_id) DO UPDATE
      SET username = EXCLUDED.username,
          balance = EXCLUDED.balance,
          sequence = EXCLUDED.sequence,
          event_time = EXCLUDED.event_time
      WHERE stored.sequence < EXCLUDED.sequence`;
  return changed > 0;
}

interface Row {
  player_id: string;
  username: string;
  balance: number;
  as_of: Date;
}

/**
 * The top `limit` players, richest first and ties by username (the order of every stage's
 * leaderboard), and the time of the newest event in the whole table, read in one statement so
 * the two agree: the window's max covers every row, the LIMIT applies after it.
 */
async function readTop(db: AsyncSlotsDatabase, limit: number): Promise<Row[]> {
  return db.$queryRaw<Row[]>`
    SELECT player_id::text AS player_id, username, balance, max(event_time) OVER () AS as_of
    FROM leaderboard_entries
    ORDER BY balance DESC, username ASC
    LIMIT ${limit}`;
}

/** The ranking as stage 00's store gives it (the forum's badges use this). */
export async function topEntries(
  db: AsyncSlotsDatabase,
  limit: number,
): Promise<LeaderboardEntry[]> {
  return (await readTop(db, limit)).map(entryOf);
}

/** GET /api/slots/leaderboard: the top ten, and how fresh they are. */
export async function readLeaderboard(db: AsyncSlotsDatabase): Promise<Leaderboard> {
  const rows = await readTop(db, LEADERBOARD_SIZE);
  const asOf = rows[0]?.as_of;
  return { items: rows.map(entryOf), ...(asOf ? { asOf: asOf.toISOString() } : {}) };
}

function entryOf(row: Row, index: number): LeaderboardEntry {
  return { rank: index + 1, userId: row.player_id, username: row.username, balance: row.balance };
}
