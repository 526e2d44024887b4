/*
 * The leaderboard places of some players, for the forum's badges: stage 03's ranks function
 * (invoked by the forum only, through the Lambda Invoke API), reading the leaderboard read model
 * the projector maintains, so a badge never disagrees with the leaderboard the players see.
 *
 * Event `{ players: string[], requestId? }` → `{ ranks: [{ userId, rank }] }`; a bad event fails
 * the invocation after a warning that says why.
 */
import { leaderboardRanks } from '@course/containers/slots/leaderboard-ranks';
import { requestIdFrom } from '@course/service-kit/core';
import type { Handler } from 'aws-lambda';
import { loadFunctionConfig } from '../config.ts';
import { slotsEnvironment } from '../environment.ts';
import { asyncSlotsStore } from '../store.ts';

const { db, log } = slotsEnvironment(loadFunctionConfig());

export interface RanksEvent {
  players: unknown;
  requestId?: unknown;
}

export interface RanksResult {
  ranks: { userId: string; rank: number }[];
}

export const handler: Handler<RanksEvent, RanksResult> = async (event, context) => {
  const started = performance.now();
  const requestId = requestIdFrom(
    typeof event?.requestId === 'string' ? event.requestId : undefined,
  );
  const invocationLog = log.child({ requestId, awsRequestId: context.awsRequestId });
  try {
    // Reads only: the store writes no event here.
    const store = asyncSlotsStore(db, { traceId: requestId });
    const result = await leaderboardRanks(store, { players: event?.players });
    invocationLog.info(
      { ranks: result.ranks.length, ms: Math.round(performance.now() - started) },
      'ranks answered',
    );
    return result;
  } catch (err) {
    invocationLog.warn({ err }, 'ranks failed');
    throw err;
  }
};
