/*
 * The slots reads behind the HTTP API, and its `$default` route: any other path under the API
 * answers the contract's 404 problem rather than API Gateway's own {"message":"Not Found"}.
 * Why reads are apart from spins: see write.ts.
 */
import { httpSlotsFunction } from '../environment.ts';

export const handler = httpSlotsFunction(({ slots, player }) => ({
  'GET /api/slots/machine': () => ({ status: 200, body: slots.machine() }),
  'GET /api/slots/wallet': async (request) => ({
    status: 200,
    body: await slots.wallet(await player(request)),
  }),
  'GET /api/slots/spins': async (request) => ({
    status: 200,
    body: await slots.history(await player(request), request.query),
  }),
  'GET /api/slots/leaderboard': async () => ({ status: 200, body: await slots.leaderboard() }),
}));
