/*
 * The leaderboard places of some players, for the forum's badges: stage 03's ranks function,
 * reading the leaderboard read model the projector maintains, so a badge never disagrees with the
 * leaderboard the players see.
 */
import { ranksHandler } from '@course/serverless/slots/ranks-handler';
import { loadFunctionConfig } from '../config.ts';
import { slotsEnvironment } from '../environment.ts';
import { asyncSlotsStore } from '../store.ts';

export type { RanksEvent, RanksResult } from '@course/serverless/slots/ranks-handler';

const { db, log } = slotsEnvironment(loadFunctionConfig());

// Reads only: a store bound to the forum's request id writes no event here.
export const handler = ranksHandler({
  log,
  storeFor: (requestId) => asyncSlotsStore(db, { traceId: requestId }),
});
