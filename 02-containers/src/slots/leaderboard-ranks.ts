import { LEADERBOARD_SIZE, type SlotsStore } from '@course/monolith/slots/use-cases';
import { parseQuery } from '@course/service-kit/core';
import { z } from 'zod';

/** Sized for one page of a thread (at most 100 posts, so at most 100 authors). */
const MAX_PLAYERS = 100;

const ranksQuerySchema = z.object({
  players: z
    .union([z.string().transform((list) => list.split(',')), z.array(z.string())])
    .pipe(z.array(z.uuid()).min(1).max(MAX_PLAYERS)),
});

/**
 * The leaderboard places of those of `players` who are on it: the forum's badges for a thread
 * page. `players` is a comma-separated list (a query string's `?players=<id,id,…>`) or an array
 * (an event's); anything else but 1 to 100 player ids is a 400 problem, as for a bad query.
 */
export async function leaderboardRanks(
  store: SlotsStore,
  query: { players: unknown },
): Promise<{ ranks: { userId: string; rank: number }[] }> {
  const { players } = parseQuery(ranksQuerySchema, query);
  const wanted = new Set(players);
  // The same ranking the public leaderboard shows, so a badge never disagrees with it.
  const leaders = await store.topWallets(LEADERBOARD_SIZE);
  return {
    ranks: leaders
      .filter((entry) => wanted.has(entry.userId))
      .map(({ userId, rank }) => ({ userId, rank })),
  };
}
