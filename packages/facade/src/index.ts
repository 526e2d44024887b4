// The strangler facade: a route table, and the proxy that serves it locally.
export { createFacade, type Facade, type FacadeOptions } from './app.ts';
export {
  type BreakerOptions,
  type BreakerState,
  CircuitBreaker,
  DEFAULT_FAILURE_THRESHOLD,
  DEFAULT_OPEN_MS,
} from './circuit-breaker.ts';
export type { Composer } from './compose.ts';
export { playerIdOf } from './player.ts';
export { FROZEN_RETRY_AFTER_SECONDS, unusableAnswer } from './problems.ts';
export * from './route-table.ts';
