import { HttpError } from '@course/service-kit';

/** What a client is told to wait before retrying a frozen route. */
export const FROZEN_RETRY_AFTER_SECONDS = 5;

/**
 * The answers the facade makes itself. They are plain HTTP problems (`about:blank`), the type
 * the contract gives every 503, and their details never name the hosts behind the facade: the
 * log line of the request says which target failed and why.
 */
export const facadeProblems = {
  /** The route is in a write freeze, e.g. while wallets move between implementations. */
  frozen: () =>
    new HttpError(503, {
      detail: 'This part of the API is paused for a moment; please retry shortly.',
      headers: { 'Retry-After': String(FROZEN_RETRY_AFTER_SECONDS) },
    }),
  /** The target refused the connection, failed, or its circuit breaker is open. */
  unavailable: (retryAfterMs: number) =>
    new HttpError(503, {
      detail: 'The service behind this route is unavailable; please retry shortly.',
      headers: { 'Retry-After': String(retryAfterSeconds(retryAfterMs)) },
    }),
  /** The target did not answer within the route's timeoutMs. */
  timeout: () =>
    new HttpError(504, { detail: 'The service behind this route did not answer in time.' }),
};

// Retry-After counts whole seconds; "0" would invite an immediate retry storm.
function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
