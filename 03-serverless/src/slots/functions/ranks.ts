/*
 * The leaderboard places of some players, for the forum's badges (see ../ranks-handler.ts): read
 * from the wallets, the same ranking the public leaderboard shows.
 */
import { loadFunctionConfig } from '../config.ts';
import { slotsEnvironment } from '../environment.ts';
import { ranksHandler } from '../ranks-handler.ts';

export type { RanksEvent, RanksResult } from '../ranks-handler.ts';

const { store, log } = slotsEnvironment(loadFunctionConfig());

export const handler = ranksHandler({ log, storeFor: () => store });
