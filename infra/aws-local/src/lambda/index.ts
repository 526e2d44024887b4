/*
 * Lambda, locally: execution environments (child processes), a pool per function behind the
 * Invoker, and the Invoke API for @aws-sdk/client-lambda.
 */
export { type LambdaApi, type LambdaApiOptions, startLambdaApi } from './api.ts';
export type { InvocationResult, InvokeOptions, Invoker } from './invoker.ts';
export { measureColdStart, measureWarmOverhead, type WarmOverhead } from './measure.ts';
export {
  createLambdaPool,
  DEFAULT_LOCAL_CONCURRENCY,
  type LambdaPool,
  type LambdaPoolOptions,
} from './pool.ts';
