import { LEADERBOARD_SIZE, type SlotsStore } from '@course/monolith/slots';
import { exactRouter, parseQuery } from '@course/service-kit';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';

/** Sized for one page of a thread (at most 100 posts, so at most 100 authors). */
const MAX_PLAYERS = 100;

const ranksQuerySchema = z.object({
  players: z
    .string()
    .transform((list) => list.split(','))
    .pipe(z.array(z.uuid()).min(1).max(MAX_PLAYERS)),
});

/**
 * GET /internal/leaderboard-ranks?players=<id,id,…>: the leaderboard places of those players
 * who are on it. The forum calls it for the badges on a thread page. It is internal: the
 * gateway and the load balancer route nothing under /internal to any service.
 */
export function leaderboardRankRoutes({ store }: { store: SlotsStore }): Router {
  async function ranks(req: Request, res: Response) {
    const { players } = parseQuery(ranksQuerySchema, req.query);
    const wanted = new Set(players);
    // The same ranking the public leaderboard shows, so a badge never disagrees with it.
    const leaders = await store.topWallets(LEADERBOARD_SIZE);
    res.json({
      ranks: leaders
        .filter((entry) => wanted.has(entry.userId))
        .map(({ userId, rank }) => ({ userId, rank })),
    });
  }

  return exactRouter().get('/internal/leaderboard-ranks', ranks);
}
