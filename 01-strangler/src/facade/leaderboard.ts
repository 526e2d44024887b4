import { unusableAnswer } from '@course/facade';
import { LEADERBOARD_SIZE } from '@course/monolith/slots/use-cases';
import { z } from 'zod';
import type { Implementation } from '../wallets/ownership.ts';

const leaderboardSchema = z.object({
  items: z.array(
    z.object({
      rank: z.number(),
      userId: z.string(),
      username: z.string(),
      balance: z.number(),
    }),
  ),
});

type Leaderboard = z.infer<typeof leaderboardSchema>;

/**
 * While the canary splits the players, each wallet lives in one database only, so each
 * implementation ranks only its own players. The top ten of all players are among the two
 * top-ten lists: merge them, keep each entry from its owner, and rank again.
 */
export function mergeLeaderboards({
  responses,
  ownerOf,
}: {
  responses: { target: Implementation; body: unknown }[];
  ownerOf(playerId: string): Implementation;
}): Leaderboard {
  const entries = responses.flatMap(({ target, body }) =>
    parseLeaderboard(body).items.filter((entry) => ownerOf(entry.userId) === target),
  );
  entries.sort((a, b) => b.balance - a.balance || byCodePoint(a.username, b.username));
  return {
    items: entries
      .slice(0, LEADERBOARD_SIZE)
      .map((entry, index) => ({ ...entry, rank: index + 1 })),
  };
}

// A 200 with another shape is a broken target, not a bug of ours: the facade's 503, not a 500.
function parseLeaderboard(body: unknown): Leaderboard {
  const parsed = leaderboardSchema.safeParse(body);
  if (!parsed.success) throw unusableAnswer();
  return parsed.data;
}

// Ties by code point: the same order on every machine, where localeCompare depends on the
// locale and the ICU data of the Node.js build.
function byCodePoint(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
