/*
 * The slots reads behind the HTTP API, and its `$default` route (the contract's 404 problem), as
 * in stage 03 — but for the leaderboard, which is now the read model the projector builds from
 * the events (see ../leaderboard.ts), with `asOf`: how fresh it is. A first wallet read opens
 * the wallet, so this function publishes too (WalletOpened).
 */
import { machine } from '@course/monolith/slots';
import { httpSlotsFunction } from '../environment.ts';
import { readLeaderboard } from '../leaderboard.ts';

export const handler = httpSlotsFunction(({ withSlots, player, db }) => ({
  'GET /api/slots/machine': () => ({ status: 200, body: machine }),
  'GET /api/slots/wallet': async (request) => {
    const caller = await player(request);
    return { status: 200, body: await withSlots(request, (slots) => slots.wallet(caller)) };
  },
  'GET /api/slots/spins': async (request) => {
    const caller = await player(request);
    return {
      status: 200,
      body: await withSlots(request, (slots) => slots.history(caller, request.query)),
    };
  },
  'GET /api/slots/leaderboard': async () => ({ status: 200, body: await readLeaderboard(db) }),
}));
