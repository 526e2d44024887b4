import { setTimeout as sleepFor } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { z } from 'zod';
import {
  type BreakerOptions,
  type BreakerState,
  CircuitBreaker,
  type Outcome,
} from './circuit-breaker.ts';

/** Why a call to a dependency failed. */
export type DependencyFailure =
  /** Its circuit is open: no request was sent. */
  | 'circuit-open'
  /** No complete answer within `timeoutMs`. */
  | 'timeout'
  /** No connection, or the connection broke. */
  | 'unreachable'
  /** It answered with a status other than 2xx (see `status`). */
  | 'bad-status'
  /** It answered 2xx, but not JSON of the expected shape. */
  | 'bad-answer'
  /** An attempt of `call` threw an error of its own (see `cause`), e.g. an SDK's error. */
  | 'failed';

/**
 * The one error a dependency client throws. The caller decides what to do without it (show the
 * page without badges, answer 503, …): the client only says which dependency failed and why.
 */
export class DependencyError extends Error {
  override readonly name = 'DependencyError';
  readonly dependency: string;
  readonly reason: DependencyFailure;
  /** The HTTP status of a 'bad-status' failure. */
  readonly status: number | undefined;
  /** How many requests were sent: 0 when the circuit was open from the start. */
  readonly attempts: number;
  /** What went wrong, without the dependency's name, e.g. "answered 503". */
  readonly detail: string;

  constructor(opts: {
    dependency: string;
    reason: DependencyFailure;
    detail: string;
    attempts: number;
    status?: number;
    cause?: unknown;
  }) {
    super(`${opts.dependency}: ${opts.detail}`, { cause: opts.cause });
    this.dependency = opts.dependency;
    this.reason = opts.reason;
    this.status = opts.status;
    this.attempts = opts.attempts;
    this.detail = opts.detail;
  }

  /**
   * True when the dependency is down, slow or overloaded, rather than disagreeing with us about
   * the request or the answer (a 4xx or a wrong shape point to a bug, not an outage).
   */
  get dependencyDown(): boolean {
    if (this.reason === 'bad-answer') return false;
    return this.status === undefined || this.status >= 500;
  }
}

export interface DependencyOptions {
  /** Its name in logs and errors, e.g. 'slots'. */
  name: string;
  /**
   * Its base URL, e.g. `http://slots.course.local:3000`; getJson's paths are appended to it. A
   * dependency reached only through `call` (an AWS SDK client, say) has none.
   */
  baseUrl?: string;
  log: Logger;
  /**
   * The longest one attempt may take, answer body included. No default on purpose: it follows
   * from the caller's own budget (how long its user may wait) and from how fast the dependency
   * normally answers, and the caller's worst case is about `(retries + 1) × timeoutMs`.
   */
  timeoutMs: number;
  /**
   * Extra attempts after a failed first one, only for failures a second try can fix (no
   * connection, a timeout, 502/503/504). Default 2: enough to get past one restarting instance
   * or one dropped keep-alive connection; more only multiplies the load on a struggling service.
   */
  retries?: number;
  /**
   * Whether a timed-out attempt is retried. Default true: a GET that timed out has most likely
   * only met one slow instance. Set false when a timed-out attempt goes on running anyway and a
   * retry would add to the load that made it slow (a Lambda Invoke: the function keeps running
   * after the caller gave up, and the retry starts another environment).
   */
  retryTimeouts?: boolean;
  /**
   * The base of the exponential backoff: the wait before retry n (0, 1, …) is drawn uniformly
   * from [0, backoffMs · 2^n] ("full jitter"), so the retries of many callers spread out instead
   * of arriving together. Default 50 ms: a retry is for a blip, not for an outage (the breaker
   * handles outages).
   */
  backoffMs?: number;
  /** The breaker in front of this dependency. Default: 3 failures in a row open it for 1 s. */
  breaker?: BreakerOptions;
  /** Uniform random numbers in [0, 1) for the jitter. Default Math.random; tests pass their own. */
  random?: () => number;
  /** The breaker's clock in milliseconds. Default performance.now; tests move a fake one. */
  now?: () => number;
  /** How a backoff waits. Default a real timer; tests can record the waits instead. */
  sleep?: (ms: number) => Promise<void>;
}

export interface CallOptions {
  /** Sent as X-Request-Id, so the dependency's log lines carry the id of the request that caused them. */
  requestId?: string;
  /**
   * For `call`: whether an error thrown by an attempt is worth another try (a throttled or
   * unreachable dependency, say). Default: never. A timeout is retried as the dependency's
   * `retryTimeouts` says.
   */
  retryable?: (err: unknown) => boolean;
}

/** A client for one downstream service. */
export interface Dependency {
  readonly name: string;
  /** Its circuit right now: 'closed' (calls go out), 'open' (they fail at once) or 'half-open'. */
  readonly state: BreakerState;
  /**
   * The longest a call can take: (retries + 1) × timeoutMs + backoffMs × (2^retries − 1), every
   * attempt timing out after the longest possible backoff (plus the event loop's scheduling slack).
   */
  readonly worstCaseMs: number;
  /**
   * Runs `attempt` under this dependency's policy, whatever carries the request (fetch, an AWS
   * SDK client): each attempt gets a signal that aborts at `timeoutMs` (and the attempt counts as
   * timed out then, even if it ignores the signal), failures are retried as `options.retryable`
   * says, and the circuit breaker sees every outcome. Throws DependencyError on any failure:
   * reason 'timeout', 'circuit-open', 'failed' (the thrown error is its `cause`), or the reason
   * of a DependencyError the attempt threw itself.
   */
  call<T>(attempt: (signal: AbortSignal) => Promise<T>, options?: CallOptions): Promise<T>;
  /**
   * GETs `path` (with its query string) and returns the answer parsed by `schema`. Throws
   * DependencyError on any failure, after the retries that make sense.
   */
  getJson<S extends z.ZodType>(
    path: string,
    schema: S,
    options?: Omit<CallOptions, 'retryable'>,
  ): Promise<z.output<S>>;
}

const DEFAULT_RETRIES = 2;
const DEFAULT_BACKOFF_MS = 50;

/** Statuses that say "not now" (a proxy or load balancer without a healthy instance, overload). */
const RETRYABLE_STATUSES = new Set([502, 503, 504]);

/** A failure of one attempt, before it knows how many attempts the call has made. */
type AttemptFailure = Pick<DependencyError, 'reason' | 'detail' | 'status' | 'cause'>;

/**
 * A client for one dependency, designed for its failure: every attempt has a timeout, failures
 * that a second try can fix are retried a bounded number of times after a jittered backoff, and
 * a circuit breaker stops calling a dependency that keeps failing, so that while it is down each
 * call costs the caller nothing but a check. getJson only GETs, which is safe to repeat; `call`
 * leaves what an attempt does (and whether repeating it is safe) to its caller.
 *
 * Connections are reused: Node's fetch keeps them alive in its global pool.
 */
export function createDependency(options: DependencyOptions): Dependency {
  const { name, log } = options;
  const base = options.baseUrl === undefined ? undefined : dependencyUrl(name, options.baseUrl);
  const timeoutMs = positive('timeoutMs', options.timeoutMs);
  const retries = wholeNumber('retries', options.retries ?? DEFAULT_RETRIES);
  const backoffMs = wholeNumber('backoffMs', options.backoffMs ?? DEFAULT_BACKOFF_MS);
  const retryTimeouts = options.retryTimeouts ?? true;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? ((ms: number) => sleepFor(ms));
  const breaker = new CircuitBreaker({
    ...options.breaker,
    ...(options.now ? { now: options.now } : {}),
    onChange: (state) => logBreakerChange(log, name, state),
  });

  /** One attempt, bounded by its own timeout; resolves to its value or to how it failed. */
  async function attemptOnce<T>(
    attempt: (signal: AbortSignal) => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; failure: AttemptFailure; thrown: unknown }> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      // The race keeps the deadline even for an attempt that does not listen to its signal.
      return { ok: true, value: await Promise.race([attempt(signal), rejectOnAbort(signal)]) };
    } catch (err) {
      // Asked first: an abort surfaces as whatever error the attempt was in.
      if (signal.aborted) {
        return {
          ok: false,
          failure: {
            reason: 'timeout',
            detail: `no answer within ${timeoutMs} ms`,
            status: undefined,
            cause: err,
          },
          thrown: err,
        };
      }
      // getJson's own failures (a bad status, a wrong shape) keep their reason.
      if (err instanceof DependencyError && err.dependency === name) {
        return { ok: false, failure: err, thrown: err };
      }
      const failure: AttemptFailure = {
        reason: 'failed',
        detail: `failed: ${err instanceof Error ? err.name : String(err)}`,
        status: undefined,
        cause: err,
      };
      return { ok: false, failure, thrown: err };
    }
  }

  async function run<T>(
    attempt: (signal: AbortSignal) => Promise<T>,
    retryable: (err: unknown) => boolean,
    context: { dependency: string; requestId?: string; path?: string },
  ): Promise<T> {
    let lastError: DependencyError | undefined;
    for (let retry = 0; ; retry++) {
      const permit = breaker.admit();
      if (permit === undefined) {
        // Also when our own failed attempts have just opened it: retrying now would be the
        // very request the open circuit is there to prevent.
        const error = new DependencyError({
          dependency: name,
          reason: 'circuit-open',
          detail:
            retry === 0
              ? 'circuit open, not called'
              : `circuit opened after ${retry} failed attempts`,
          attempts: retry,
          cause: lastError,
        });
        // One line per call would flood the log while the circuit is open; the state change
        // was logged once.
        log.debug({ ...context, reason: error.reason }, 'dependency call refused: circuit open');
        throw error;
      }
      const result = await attemptOnce(attempt);
      if (result.ok) {
        breaker.report(permit, 'success');
        return result.value;
      }
      const { failure, thrown } = result;
      breaker.report(permit, breakerOutcome(failure));
      lastError = new DependencyError({
        dependency: name,
        attempts: retry + 1,
        reason: failure.reason,
        detail: failure.detail,
        status: failure.status,
        cause: failure.cause,
      });
      const { reason, status } = lastError;
      const worthRetrying = reason === 'timeout' ? retryTimeouts : retryable(thrown);
      if (retry >= retries || !worthRetrying) {
        log.warn({ ...context, reason, status, attempts: retry + 1 }, 'dependency call failed');
        throw lastError;
      }
      const waitMs = fullJitterMs(backoffMs, retry, random);
      log.debug(
        { ...context, reason, status, attempt: retry + 1, waitMs },
        'dependency call retrying',
      );
      await sleep(waitMs);
    }
  }

  /** One GET: a bad status, a wrong shape or no connection become DependencyErrors. */
  async function fetchJson<S extends z.ZodType>(
    url: URL,
    schema: S,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<z.output<S>> {
    const fail = (
      reason: DependencyFailure,
      detail: string,
      extra: { status?: number; cause?: unknown } = {},
    ) => new DependencyError({ dependency: name, reason, detail, attempts: 1, ...extra });
    let response: Response;
    try {
      // 'manual': a redirect is not something a service API should answer; it becomes a bad status.
      response = await fetch(url, { headers, signal, redirect: 'manual' });
      if (!response.ok) {
        // Reading the small error body lets the connection go back to the pool.
        await response.arrayBuffer();
        throw fail('bad-status', `answered ${response.status}`, { status: response.status });
      }
      // The signal bounds reading the body too: a dependency that sends its headers and then
      // stalls is as slow as one that never answers.
      const parsed = schema.safeParse(await response.json());
      if (parsed.success) return parsed.data;
      throw fail('bad-answer', 'answered an unexpected shape', { cause: parsed.error });
    } catch (err) {
      if (err instanceof DependencyError || signal.aborted) throw err;
      if (err instanceof SyntaxError)
        throw fail('bad-answer', 'answered invalid JSON', { cause: err });
      throw fail('unreachable', 'cannot be reached', { cause: err });
    }
  }

  return {
    name,
    get state() {
      return breaker.state;
    },
    worstCaseMs: (retries + 1) * timeoutMs + backoffMs * (2 ** retries - 1),

    call(attempt, callOptions = {}) {
      const context = { dependency: name, requestId: callOptions.requestId };
      return run(attempt, callOptions.retryable ?? (() => false), context);
    },

    async getJson(path, schema, callOptions = {}) {
      if (base === undefined)
        throw new TypeError(`Dependency "${name}" has no baseUrl to GET from`);
      const url = callUrl(base, path);
      const headers: Record<string, string> = { accept: 'application/json' };
      if (callOptions.requestId) headers['x-request-id'] = callOptions.requestId;
      const context = { dependency: name, path: url.pathname, requestId: callOptions.requestId };
      return run((signal) => fetchJson(url, schema, headers, signal), isRetryable, context);
    },
  };
}

/** Rejects when the signal aborts; never settles otherwise. */
function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** A retry can fix a lost connection, a timeout and a "not now" status; never a 4xx or a wrong shape. */
function isRetryable(err: unknown): boolean {
  if (!(err instanceof DependencyError)) return false;
  if (err.reason === 'timeout' || err.reason === 'unreachable') return true;
  return err.reason === 'bad-status' && RETRYABLE_STATUSES.has(err.status ?? 0);
}

/**
 * What an attempt tells the breaker. An answer we cannot use (a 5xx, a wrong shape) counts as a
 * failure: for the caller the dependency is not working. A 4xx counts as a success: the
 * dependency is up and answering, it only disagrees with this request.
 */
function breakerOutcome({ reason, status }: AttemptFailure): Outcome {
  return reason === 'bad-status' && status !== undefined && status < 500 ? 'success' : 'failure';
}

/** Full jitter: uniform in [0, base · 2^retry]. */
function fullJitterMs(baseMs: number, retry: number, random: () => number): number {
  return Math.round(random() * baseMs * 2 ** retry);
}

const BREAKER_MESSAGES: Record<BreakerState, string> = {
  open: 'circuit opened: failing calls at once',
  'half-open': 'circuit half-open: trying one call',
  closed: 'circuit closed: dependency answering again',
};

function logBreakerChange(log: Logger, dependency: string, state: BreakerState): void {
  const level = state === 'open' ? 'warn' : 'info';
  log[level]({ dependency, state }, BREAKER_MESSAGES[state]);
}

function dependencyUrl(name: string, baseUrl: string): URL {
  const url = URL.canParse(baseUrl) ? new URL(baseUrl) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
    throw new TypeError(
      `Dependency "${name}" needs an http(s) base URL without query, got ${baseUrl}`,
    );
  }
  return url;
}

/**
 * The base URL with `path` appended as text. Resolving `path` against the base instead would
 * drop a base path and would let a path like `//elsewhere/` change the host.
 */
function callUrl(base: URL, path: string): URL {
  if (!path.startsWith('/')) throw new TypeError(`A dependency path starts with "/", got ${path}`);
  return new URL(base.href.replace(/\/$/, '') + path);
}

function positive(option: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new RangeError(`${option} must be > 0, got ${value}`);
  }
  return value;
}

function wholeNumber(option: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 0)) {
    throw new RangeError(`${option} must be a whole number >= 0, got ${value}`);
  }
  return value;
}
