/*
 * The leaderboard places of some players, for the forum's badges. Invoked only through the
 * Lambda Invoke API by the forum (whose role alone is granted lambda:InvokeFunction on it),
 * never routed by the HTTP API: there is no public URL to reach it by.
 *
 * Event `{ players: string[], requestId? }` (1 to 100 user ids, and the id of the forum's request,
 * for this function's log) → `{ ranks: [{ userId, rank }] }`. A bad
 * event is the caller's bug: it fails the invocation (the caller sees a FunctionError), after
 * a warning here that says why.
 */
import { leaderboardRanks } from '@course/containers/slots/leaderboard-ranks';
import { requestIdFrom } from '@course/service-kit/core';
import type { Handler } from 'aws-lambda';
import { loadFunctionConfig } from '../config.ts';
import { slotsEnvironment } from '../environment.ts';

const { store, log } = slotsEnvironment(loadFunctionConfig());

export interface RanksEvent {
  players: unknown;
  requestId?: unknown;
}

export interface RanksResult {
  ranks: { userId: string; rank: number }[];
}

export const handler: Handler<RanksEvent, RanksResult> = async (event, context) => {
  const started = performance.now();
  const invocationLog = log.child({
    requestId: requestIdFrom(typeof event?.requestId === 'string' ? event.requestId : undefined),
    awsRequestId: context.awsRequestId,
  });
  try {
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
