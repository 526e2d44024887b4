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
  /** The request cannot be sent on as it is, e.g. a header or path that HTTP does not allow. */
  unforwardable: () =>
    new HttpError(400, { detail: 'This request cannot be forwarded: it is not valid HTTP.' }),
  /**
   * The client was still sending its body when the route's deadline passed: the slow party is
   * the client, not the target. The connection is closed, since the rest of the body would
   * arrive as garbage where the next request should start.
   */
  uploadTimeout: () =>
    new HttpError(408, {
      detail: 'The request body did not arrive in time.',
      headers: { Connection: 'close' },
    }),
  /** The target did not answer within the route's timeoutMs. */
  timeout: () =>
    new HttpError(504, { detail: 'The service behind this route did not answer in time.' }),
};

// Retry-After counts whole seconds; "0" would invite an immediate retry storm.
function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * A target answered 200 with a body a composer cannot use (not the shape its contract says):
 * the same 503 as a target down, since half an answer would be a wrong one. Composers throw it.
 */
export function unusableAnswer(): HttpError {
  return facadeProblems.unavailable(0);
}

/**
 * Node's codes for a request that http.request refuses to send: a header value, a header name
 * or a path that HTTP does not allow. The client's request is at fault, and nothing was learned
 * about the target, so it must not count against the target's circuit breaker.
 */
const UNFORWARDABLE_CODES = new Set([
  'ERR_HTTP_INVALID_HEADER_VALUE',
  'ERR_INVALID_CHAR',
  'ERR_UNESCAPED_CHARACTERS',
  'ERR_INVALID_HTTP_TOKEN',
]);

/** True when the error comes from building the request to the target, not from the target. */
export function isUnforwardable(err: unknown): boolean {
  return err instanceof Error && 'code' in err && UNFORWARDABLE_CODES.has(String(err.code));
}
