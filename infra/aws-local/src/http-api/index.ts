/*
 * The local API Gateway: HTTP APIs (payload format 2.0) in front of the Lambda environments.
 */
export { measureSequential, type SequentialLatency } from './latency.ts';
export {
  type HttpApiOptions,
  MAX_PAYLOAD_BYTES,
  type RunningHttpApi,
  startHttpApi,
} from './server.ts';
