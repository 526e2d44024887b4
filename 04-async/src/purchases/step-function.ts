/*
 * What the saga's debit and refund functions share: their environment, built once per execution
 * environment (the slots database, the outbox relay), and the check of the event a LambdaInvoke
 * task sends them. Their work is a use case of ./steps.ts; a function only adapts it.
 */
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { eventsSnsClient, outboxRelay } from '../events/outbox.ts';
import { loadPublisherConfig } from '../slots/config.ts';
import { slotsEnvironment } from '../slots/environment.ts';
import type { StepEvent } from './saga.ts';
import type { PurchaseStepDeps } from './steps.ts';

const stepEventSchema = z.object({ purchaseId: z.uuid() });

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
 * A saga step's handler over one of ./steps.ts's use cases: the environment is built at init,
 * each invocation logs its purchase and outcome with Lambda's request id.
 */
export function stepFunction<R extends { outcome: string }>(
  step: string,
  run: (deps: PurchaseStepDeps, purchaseId: string) => Promise<R>,
): (event: unknown, context: Pick<Context, 'awsRequestId'>) => Promise<R> {
  const config = loadPublisherConfig();
  const { db, log } = slotsEnvironment(config);
  const relay = outboxRelay({ db, sns: eventsSnsClient(), topicArn: config.EVENTS_TOPIC_ARN });
  return async (event, context) => {
    const { purchaseId } = parseStepEvent(event);
    const stepLog = log.child({ step, purchaseId, awsRequestId: context.awsRequestId });
    try {
      const result = await run(
        { db, publish: (ids) => relay.publishEvents(ids, stepLog).then(() => undefined) },
        purchaseId,
      );
      stepLog.info({ outcome: result.outcome }, 'saga step done');
      return result;
    } catch (err) {
      stepLog.warn({ err }, 'saga step failed: the state machine retries or compensates');
      throw err;
    }
  };
}
