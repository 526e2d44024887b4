/*
 * The slots reads behind the HTTP API, and its `$default` route: any other path under the API
 * answers the contract's 404 problem rather than API Gateway's own {"message":"Not Found"}.
 * Why reads are apart from spins: see write.ts.
 */
import { httpFunction } from '../../lambda/http.ts';
import { httpSlotsEnvironment } from '../environment.ts';

const { slots, player, identity, log, config } = httpSlotsEnvironment();

export const handler = httpFunction({
  identity,
  log,
  bodyLimitBytes: config.BODY_LIMIT_BYTES,
  routes: {
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
  },
});
