import { functionConfigSchema, httpFunctionConfigSchema } from '@course/serverless/slots/config';
import { parseConfig } from '@course/service-kit/core';
import { z } from 'zod';

/*
 * The slots functions' configuration in stage 04: stage 03's (the database, the tokens), plus the
 * topic the functions that write events publish them to. Parsed once per execution environment.
 */

/** This stage's number, the default of STAGE. */
export const STAGE = '04';

// An SNS topic's ARN (arn:<partition>:sns:<region>:<account>:<name>); the local AWS names its
// topics the same way.
const topicArn = z
  .string()
  .regex(/^arn:[\w-]+:sns:[\w-]+:\d{12}:[\w-]{1,256}$/, 'expected an SNS topic ARN');

const eventsConfigSchema = z.object({
  /** Where the relay and the sweeper publish the outbox's events. */
  EVENTS_TOPIC_ARN: topicArn,
});

const httpFunctionWithEventsSchema = httpFunctionConfigSchema.and(eventsConfigSchema);

// A state machine's ARN (arn:<partition>:states:<region>:<account>:stateMachine:<name>).
const stateMachineArn = z
  .string()
  .regex(
    /^arn:[\w-]+:states:[\w-]+:\d{12}:stateMachine:[\w-]{1,80}$/,
    'expected a Step Functions state machine ARN',
  );

const sagaConfigSchema = z.object({
  /**
   * The purchase saga: the purchases function starts an execution of it per purchase, the
   * reconciler describes those executions.
   */
  PURCHASE_SAGA_ARN: stateMachineArn,
});

const purchasesFunctionSchema = httpFunctionWithEventsSchema.and(sagaConfigSchema);
const reconcilerSchema = functionConfigSchema.and(sagaConfigSchema);
const functionWithEventsSchema = functionConfigSchema.and(eventsConfigSchema);

export type HttpFunctionWithEventsConfig = z.infer<typeof httpFunctionWithEventsSchema>;
export type FunctionWithEventsConfig = z.infer<typeof functionWithEventsSchema>;
export type PurchasesFunctionConfig = z.infer<typeof purchasesFunctionSchema>;
export type ReconcilerConfig = z.infer<typeof reconcilerSchema>;
export type { FunctionConfig } from '@course/serverless/slots/config';

/** Stage 03's default STAGE is its own number; here it is this one's. */
const withStage = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ STAGE, ...env });

/** For the write and read functions: they open wallets and settle spins, so they publish. */
export function loadHttpFunctionConfig(
  env: NodeJS.ProcessEnv = process.env,
): HttpFunctionWithEventsConfig {
  return parseConfig(httpFunctionWithEventsSchema, withStage(env));
}

/**
 * For the purchases function: the write function's settings (a first purchase opens the wallet,
 * so it publishes) and the saga it starts.
 */
export function loadPurchasesFunctionConfig(
  env: NodeJS.ProcessEnv = process.env,
): PurchasesFunctionConfig {
  return parseConfig(purchasesFunctionSchema, withStage(env));
}

/**
 * For the purchase reconciler: the database (the purchase records) and the saga whose executions
 * it describes. It publishes nothing: closing a record moves no credits.
 */
export function loadReconcilerConfig(env: NodeJS.ProcessEnv = process.env): ReconcilerConfig {
  return parseConfig(reconcilerSchema, withStage(env));
}

/** For the sweeper and the saga's debit and refund steps: the database and the topic. */
export function loadPublisherConfig(
  env: NodeJS.ProcessEnv = process.env,
): FunctionWithEventsConfig {
  return parseConfig(functionWithEventsSchema, withStage(env));
}

/** For the ranks function, the projector and the saga's complete step: the database only. */
export function loadFunctionConfig(env: NodeJS.ProcessEnv = process.env) {
  return parseConfig(functionConfigSchema, withStage(env));
}
