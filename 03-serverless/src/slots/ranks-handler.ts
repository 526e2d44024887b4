/*
 * The ranks function's handler, over any store whose topWallets is the leaderboard: stage 03's
 * wallets, or a later stage's read model. Invoked only through the Lambda Invoke API by the forum
 * (whose role alone is granted lambda:InvokeFunction on it), never routed by the HTTP API.
 *
 * Event `{ players: string[], requestId? }` (1 to 100 user ids, and the id of the forum's request,
 * for this function's log) → `{ ranks: [{ userId, rank }] }`. A bad event is the caller's bug: it
 * fails the invocation (the caller sees a FunctionError), after a warning here that says why.
 */
import { leaderboardRanks } from '@course/containers/slots/leaderboard-ranks';
import type { SlotsStore } from '@course/monolith/slots/use-cases';
import { type Logger, requestIdFrom } from '@course/service-kit/core';
import type { Handler } from 'aws-lambda';

export interface RanksEvent {
  players: unknown;
  requestId?: unknown;
}

export interface RanksResult {
  ranks: { userId: string; rank: number }[];
}

export function ranksHandler({
  log,
  storeFor,
}: {
  log: Logger;
  /** The store for one invocation, by the forum's request id. */
  storeFor: (requestId: string) => SlotsStore;
}): Handler<RanksEvent, RanksResult> {
  return async (event, context) => {
    const started = performance.now();
    const requestId = requestIdFrom(
      typeof event?.requestId === 'string' ? event.requestId : undefined,
    );
    const invocationLog = log.child({ requestId, awsRequestId: context.awsRequestId });
    try {
      const result = await leaderboardRanks(storeFor(requestId), { players: event?.players });
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
}
