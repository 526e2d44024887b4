// The strangler facade: a route table, and the proxy that serves it locally.

// The breaker lives in the service chassis (services use it for their own calls too); it stays
// exported here so code written against the stage 01 facade keeps working.
export {
  type BreakerOptions,
  type BreakerState,
  CircuitBreaker,
  DEFAULT_FAILURE_THRESHOLD,
  DEFAULT_OPEN_MS,
} from '@course/service-kit';
export { createFacade, type Facade, type FacadeOptions } from './app.ts';
export type { Composer } from './compose.ts';
export { playerIdOf } from './player.ts';
export { FROZEN_RETRY_AFTER_SECONDS, unusableAnswer } from './problems.ts';
export * from './route-table.ts';
