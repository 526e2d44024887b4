import type { SNSClient } from '@aws-sdk/client-sns';
import { type SlotsUseCases, slotsUseCases } from '@course/monolith/slots/use-cases';
import type { HttpRequest, RouteHandler } from '@course/serverless/lambda/http';
import { callerOf, httpFunctionWith, slotsIdentity } from '@course/serverless/slots/environment';
import { createLogger } from '@course/service-kit/core';
import { eventsSnsClient, outboxRelay } from '../events/outbox.ts';
import {
  type FunctionConfig,
  type HttpFunctionWithEventsConfig,
  loadHttpFunctionConfig,
  STAGE,
} from './config.ts';
import { connectSlotsDatabase } from './database.ts';
import { asyncSlotsStore } from './store.ts';

/*
 * What one execution environment of a stage-04 slots function builds once, at init: as in stage
 * 03 (the logger, the one-connection database, the token verifier), plus, for the functions that
 * write events, the SNS client the relay publishes with. What is new is per request: the store
 * is bound to the request's id, the trace id of every event it writes.
 */

/** The logger and the database, for any slots function of this stage. */
export function slotsEnvironment(config: FunctionConfig) {
  const log = createLogger({ service: 'slots', level: config.LOG_LEVEL });
  return { log, db: connectSlotsDatabase(config.database) };
}

/** For the write and read functions: the above, the caller, and use cases that publish. */
export function httpSlotsEnvironment(
  config: HttpFunctionWithEventsConfig = loadHttpFunctionConfig(),
  // Every publish has a deadline: a dead SNS never holds the request (see eventsSnsClient).
  sns: SNSClient = eventsSnsClient(),
) {
  const { log, db } = slotsEnvironment(config);
  const relay = outboxRelay({ db, sns, topicArn: config.EVENTS_TOPIC_ARN });
  return {
    config,
    log,
    db,
    identity: slotsIdentity(config),
    player: callerOf(config, log),
    /**
     * Runs `work` with the use cases over a store bound to this request, then publishes the
     * events the store committed — even when `work` failed afterwards (a refused spin may have
     * opened the wallet first). The relay never throws: a publish that fails is the sweeper's.
     */
    async withSlots<T>(request: HttpRequest, work: (slots: SlotsUseCases) => Promise<T>) {
      const store = asyncSlotsStore(db, { traceId: request.requestId });
      try {
        return await work(slotsUseCases({ store }));
      } finally {
        await relay.publishEvents(store.writtenEvents(), request.log);
      }
    },
  };
}

export type HttpSlotsEnvironment = ReturnType<typeof httpSlotsEnvironment>;

/** A slots function of this stage behind the HTTP API (see stage 03's httpFunctionWith). */
export function httpSlotsFunction(
  routes: (environment: HttpSlotsEnvironment) => Record<string, RouteHandler>,
  loadEnvironment: () => HttpSlotsEnvironment = httpSlotsEnvironment,
) {
  return httpFunctionWith(() => loadEnvironment(), routes, { stage: STAGE });
}
