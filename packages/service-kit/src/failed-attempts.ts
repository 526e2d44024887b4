/** How a FailedAttemptLimiter treats one key (an account, a client address). */
export interface FailedAttemptPolicy {
  /** Failures a key may make without waiting. Default 5. */
  freeFailures: number;
  /** The wait once the free failures are used up; it doubles with each further failure. Default 1 000 ms. */
  firstDelayMs: number;
  /**
   * The longest wait, so nobody is ever locked out for longer; also how often one failure is
   * forgiven, so a key that keeps failing settles at one try per maxDelayMs. Default 300 000 ms.
   */
  maxDelayMs: number;
  /**
   * How many keys are remembered. Past it, the key whose last failure is oldest is forgotten,
   * so a flood of made-up keys costs bounded memory. Default 10 000 (a few MB at most).
   */
  maxKeys: number;
}

export const DEFAULT_FAILED_ATTEMPT_POLICY: FailedAttemptPolicy = {
  freeFailures: 5,
  firstDelayMs: 1_000,
  maxDelayMs: 300_000,
  maxKeys: 10_000,
};

interface Entry {
  /** Failures not yet forgiven. */
  failures: number;
  /** Failures are forgiven one per maxDelayMs, counted from here. */
  forgivenUpTo: number;
  lastFailureAt: number;
}

/**
 * Counts failures per key and says how long the key must wait before its next attempt:
 * nothing for the first few, then a wait that doubles with each failure up to a cap. Old
 * failures fade (one is forgiven per maxDelayMs), a success resets the key, and memory is
 * bounded. In memory, per process: see the lab for what that means behind a load balancer.
 *
 * Time is read, never scheduled, so the limiter owns no timers; tests pass a fake clock.
 */
export class FailedAttemptLimiter {
  readonly #policy: FailedAttemptPolicy;
  readonly #now: () => number;
  // A Map iterates in insertion order; each failure re-inserts its key, so the first key is
  // always the one whose last failure is oldest: the one to forget when the map is full.
  readonly #entries = new Map<string, Entry>();

  constructor(options: Partial<FailedAttemptPolicy> & { now?: () => number } = {}) {
    const { now, ...policy } = options;
    this.#policy = { ...DEFAULT_FAILED_ATTEMPT_POLICY, ...policy };
    this.#now = now ?? Date.now;
  }

  /** How long the key must wait before its next attempt; 0 means it may try now. */
  waitMs(key: string): number {
    const entry = this.#entries.get(key);
    if (!entry) return 0;
    const now = this.#now();
    const { failures } = this.#settle(entry, now);
    if (failures < this.#policy.freeFailures) return 0;
    return Math.max(0, entry.lastFailureAt + this.#delayAfter(failures) - now);
  }

  /** Counts one failure of the key. */
  fail(key: string): void {
    const now = this.#now();
    const entry = this.#entries.get(key);
    const settled = entry ? this.#settle(entry, now) : { failures: 0, forgivenUpTo: now };
    this.#entries.delete(key);
    this.#entries.set(key, {
      failures: settled.failures + 1,
      forgivenUpTo: settled.forgivenUpTo,
      lastFailureAt: now,
    });
    if (this.#entries.size > this.#policy.maxKeys) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  /** Takes back one failure, e.g. one counted before it was known to be one. */
  forgive(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    const settled = this.#settle(entry, this.#now());
    if (settled.failures <= 1) {
      this.#entries.delete(key);
      return;
    }
    entry.failures = settled.failures - 1;
    entry.forgivenUpTo = settled.forgivenUpTo;
  }

  /** Forgets every failure of the key. */
  reset(key: string): void {
    this.#entries.delete(key);
  }

  /** How many keys are remembered. */
  get size(): number {
    return this.#entries.size;
  }

  // The entry's failures after forgiving those whose time has come; read-only.
  #settle(entry: Entry, now: number): { failures: number; forgivenUpTo: number } {
    const elapsed = Math.max(0, now - entry.forgivenUpTo); // a clock set back forgives nothing
    const forgiven = Math.floor(elapsed / this.#policy.maxDelayMs);
    const failures = Math.max(0, entry.failures - forgiven);
    const forgivenUpTo =
      failures === 0 ? now : entry.forgivenUpTo + forgiven * this.#policy.maxDelayMs;
    return { failures, forgivenUpTo };
  }

  #delayAfter(failures: number): number {
    const doublings = failures - this.#policy.freeFailures;
    return Math.min(this.#policy.maxDelayMs, this.#policy.firstDelayMs * 2 ** doublings);
  }
}
