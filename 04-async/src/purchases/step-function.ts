/*
 * What the saga's slots-side step functions share: their environment, built once per execution
 * environment, the check of the event a LambdaInvoke task sends them, and a log line per
 * invocation. Their work is a use case of ./steps.ts; a function only adapts it.
 */
import type { Logger } from '@course/service-kit/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { eventsSnsClient, outboxRelay } from '../events/outbox.ts';
import { loadFunctionConfig, loadPublisherConfig } from '../slots/config.ts';
import { slotsEnvironment } from '../slots/environment.ts';
import type { StepEvent } from './saga.ts';
import type { PurchaseStepDeps } from './steps.ts';

const stepEventSchema = z.object({ purchaseId: z.uuid() });

type StepHandler<R> = (event: unknown, context: Pick<Context, 'awsRequestId'>) => Promise<R>;

/**
 * The step's event, checked: the state machine sends {purchaseId}. Anything else is a bug in the
 * definition, thrown as an error the state machine retries and then catches like any other.
 */
export function parseStepEvent(event: unknown): StepEvent {
  const parsed = stepEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new Error(`a saga step expects {purchaseId: <uuid>}: ${parsed.error.message}`);
  }
  return parsed.data;
}

/**
 * A saga step's handler over one of ./steps.ts's use cases that move credits (debit, refund): the
 * environment (database, outbox relay) is built at init, and the step publishes its event after
 * its commit.
 */
export function stepFunction<R extends { outcome: string }>(
  step: string,
  run: (deps: PurchaseStepDeps, purchaseId: string) => Promise<R>,
): StepHandler<R> {
  const config = loadPublisherConfig();
  const { db, log } = slotsEnvironment(config);
  const relay = outboxRelay({ db, sns: eventsSnsClient(), topicArn: config.EVENTS_TOPIC_ARN });
  return loggedStep(step, log, (purchaseId, stepLog) =>
    run(
      { db, publish: (ids) => relay.publishEvents(ids, stepLog).then(() => undefined) },
      purchaseId,
    ),
  );
}

/** A saga step's handler over a use case that only writes the record (complete): the database only. */
export function recordStepFunction<R extends { outcome: string }>(
  step: string,
  run: (deps: Pick<PurchaseStepDeps, 'db'>, purchaseId: string) => Promise<R>,
): StepHandler<R> {
  const { db, log } = slotsEnvironment(loadFunctionConfig());
  return loggedStep(step, log, (purchaseId) => run({ db }, purchaseId));
}

/** Each invocation logs its purchase and outcome, or its error, with Lambda's request id. */
function loggedStep<R extends { outcome: string }>(
  step: string,
  log: Logger,
  run: (purchaseId: string, stepLog: Logger) => Promise<R>,
): StepHandler<R> {
  return async (event, context) => {
    const { purchaseId } = parseStepEvent(event);
    const stepLog = log.child({ step, purchaseId, awsRequestId: context.awsRequestId });
    try {
      const result = await run(purchaseId, stepLog);
      stepLog.info({ outcome: result.outcome }, 'saga step done');
      return result;
    } catch (err) {
      stepLog.warn({ err }, 'saga step failed: the state machine retries or compensates');
      throw err;
    }
  };
}
