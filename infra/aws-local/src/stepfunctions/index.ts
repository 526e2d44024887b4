/*
 * Step Functions, locally: the engine (executions of the application's state machines, run by
 * aws-local-stepfunctions) and the API for @aws-sdk/client-sfn.
 */
export { type StepFunctionsApi, startStepFunctionsApi } from './api.ts';
export {
  type Execution,
  type ExecutionStatus,
  SfnApiError,
  StepFunctionsEngine,
  scaleDurations,
} from './engine.ts';
export type { HistoryEvent } from './history.ts';
