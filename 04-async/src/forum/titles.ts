import { isUniqueViolation } from '@course/monolith/users';
import type { TitleGrant } from '../generated/forum/client.ts';
import { findTitle } from '../purchases/catalog.ts';
import type { AsyncForumDatabase } from './db.ts';

/*
 * The forum's side of the purchase saga: titles granted to players, one per purchase. Slots has
 * already taken the credits when the grant arrives, and gives them back if the forum refuses it
 * for good, so these use cases answer two questions exactly, however often they are asked:
 * is this purchase's title granted (grantTitle), and can it never be (cancelGrant)?
 */

/** Who gets which title; the purchase record in slots is where these come from. */
export interface TitleGrantRequest {
  userId: string;
  username: string;
  /** A catalog id (the route checks it). */
  titleId: string;
}

/**
 * Why a grant is refused for good (the saga then compensates):
 * - `already-owned`: the player holds this title from another purchase;
 * - `cancelled`: this purchase was cancelled (compensated) before its grant arrived;
 * - `mismatch`: this purchase already granted another player or title (a caller's bug).
 */
export type GrantRefusal = 'already-owned' | 'cancelled' | 'mismatch';

export type GrantOutcome = { outcome: 'granted' } | { outcome: 'refused'; reason: GrantRefusal };

/** `revoked`: it had been granted and no longer is; `cancelled`: it never was and now cannot be. */
export type CancelOutcome = 'revoked' | 'cancelled';

/**
 * Grants the title of a purchase, idempotently by purchase id: a grant already made answers
 * `granted` again, and writes nothing.
 *
 * Two rules are the database's, not this code's, so they hold under any concurrency:
 * - one row per purchase (the primary key): a grant racing the cancellation of the same purchase
 *   waits for it, then finds its tombstone, and the reverse;
 * - at most one granted row per player and title (a partial unique index, see the migration):
 *   of two purchases of the same title granted at the same moment, one is refused.
 * So the insert is tried, and a collision is explained by what is then found under the purchase
 * id: its row (another grant or cancellation of this purchase got there first) or none (the
 * player already holds the title).
 */
export async function grantTitle(
  db: AsyncForumDatabase,
  purchaseId: string,
  request: TitleGrantRequest,
): Promise<GrantOutcome> {
  const existing = await db.titleGrant.findUnique({ where: { purchaseId } });
  if (existing) return answerFrom(existing, request);
  const now = new Date();
  try {
    await db.titleGrant.create({
      data: {
        purchaseId,
        userId: request.userId,
        titleId: request.titleId,
        status: 'granted',
        grantedAt: now,
        updatedAt: now,
      },
    });
    return { outcome: 'granted' };
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const winner = await db.titleGrant.findUnique({ where: { purchaseId } });
    return winner ? answerFrom(winner, request) : { outcome: 'refused', reason: 'already-owned' };
  }
}

/** What an existing row of this purchase says to a grant of it. */
function answerFrom(row: TitleGrant, request: TitleGrantRequest): GrantOutcome {
  if (row.status === 'cancelled') return { outcome: 'refused', reason: 'cancelled' };
  const same = row.userId === request.userId && row.titleId === request.titleId;
  return same ? { outcome: 'granted' } : { outcome: 'refused', reason: 'mismatch' };
}

/**
 * Makes sure a purchase's title is not granted and never will be: a granted one is revoked, and
 * an unknown purchase gets a tombstone, so that a grant still on its way (a retry, an answer lost
 * and sent again) is refused when it arrives. Idempotent: asked again, it answers the same.
 *
 * One statement (INSERT … ON CONFLICT DO UPDATE), so a grant of the same purchase running at the
 * same moment is ordered before or after it by the primary key, never lost between a read and a
 * write. Whether the purchase was ever granted is kept in `granted_at`.
 */
export async function cancelGrant(
  db: AsyncForumDatabase,
  purchaseId: string,
): Promise<CancelOutcome> {
  const now = new Date();
  const row = await db.titleGrant.upsert({
    where: { purchaseId },
    create: { purchaseId, status: 'cancelled', updatedAt: now },
    update: { status: 'cancelled', updatedAt: now },
    select: { grantedAt: true },
  });
  return row.grantedAt === null ? 'cancelled' : 'revoked';
}

/**
 * The name of the title each of these players shows beside their name: the one granted most
 * recently. One query for any number of players (a thread page asks once). A title no longer in
 * the catalog is not shown.
 */
export async function currentTitles(
  db: AsyncForumDatabase,
  userIds: readonly string[],
): Promise<ReadonlyMap<string, string>> {
  if (userIds.length === 0) return new Map();
  const rows = await db.titleGrant.findMany({
    where: { userId: { in: [...userIds] }, status: 'granted' },
    orderBy: [{ userId: 'asc' }, { grantedAt: 'desc' }, { purchaseId: 'asc' }],
    distinct: ['userId'],
    select: { userId: true, titleId: true },
  });
  const titles = new Map<string, string>();
  for (const { userId, titleId } of rows) {
    const title = titleId === null ? undefined : findTitle(titleId);
    if (userId !== null && title) titles.set(userId, title.name);
  }
  return titles;
}
