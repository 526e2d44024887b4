import type { SlotsStore } from '@course/monolith/slots';
import { exactRouter } from '@course/service-kit';
import type { Router } from 'express';
import { leaderboardRanks } from './leaderboard-ranks.ts';

/**
 * GET /internal/leaderboard-ranks?players=<id,id,…>: the leaderboard places of those players
 * who are on it. The forum calls it for the badges on a thread page. It is internal: the
 * gateway and the load balancer route nothing under /internal to any service.
 */
export function leaderboardRankRoutes({ store }: { store: SlotsStore }): Router {
  return exactRouter().get('/internal/leaderboard-ranks', async (req, res) => {
    res.json(await leaderboardRanks(store, { players: req.query.players }));
  });
}
