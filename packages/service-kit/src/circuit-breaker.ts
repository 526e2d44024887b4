/** How a circuit breaker reacts to failures. */
export interface BreakerOptions {
  /**
   * Consecutive failures (connection errors, timeouts) that open the circuit. Default 3: one
   * failed request can be bad luck, three in a row mean the target is down.
   */
  failureThreshold?: number;
  /**
   * How long an open circuit refuses without trying, before it lets one trial request
   * through. Default 1 000 ms: short enough that a restarted target is back within a second.
   */
  openMs?: number;
}

export const DEFAULT_FAILURE_THRESHOLD = 3;
export const DEFAULT_OPEN_MS = 1_000;

/**
 * closed: requests go through. open: requests are refused at once. half-open: one trial
 * request goes through, and its outcome closes or re-opens the circuit.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * How one admitted request ended. "abandoned" means we learned nothing about the target,
 * e.g. the client hung up first; it only frees the trial slot of a half-open circuit.
 */
export type Outcome = 'success' | 'failure' | 'abandoned';

/** The ticket of one admitted request; hand it back to report() exactly once. */
export interface Permit {
  readonly trial: boolean;
}

/**
 * A circuit breaker for one target (a facade's upstream, a service's dependency). A target that
 * is down costs every request a failed connection (or worse, a full timeout); after a few
 * failures in a row the breaker stops trying and the caller answers at once, and it tries again
 * on its own, so the caller needs no restart when the target comes back. Time is read, never
 * scheduled: the breaker owns no timers to clean up.
 */
export class CircuitBreaker {
  readonly #failureThreshold: number;
  readonly #openMs: number;
  readonly #now: () => number;
  readonly #onChange: (state: BreakerState) => void;
  #state: BreakerState = 'closed';
  #failures = 0;
  #openedAt = 0;
  #trialInFlight = false;

  constructor(
    options: BreakerOptions & {
      /** Called on every change of state, e.g. to log it. */
      onChange?: (state: BreakerState) => void;
      /** The clock, in milliseconds; tests pass a fake one. */
      now?: () => number;
    } = {},
  ) {
    this.#failureThreshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    this.#openMs = options.openMs ?? DEFAULT_OPEN_MS;
    this.#now = options.now ?? performance.now.bind(performance);
    this.#onChange = options.onChange ?? (() => {});
  }

  get state(): BreakerState {
    return this.#state;
  }

  /** A permit to send one request to the target, or undefined: fail at once without trying. */
  admit(): Permit | undefined {
    if (this.#state === 'open' && this.#now() - this.#openedAt >= this.#openMs) {
      this.#change('half-open');
    }
    if (this.#state === 'closed') return { trial: false };
    if (this.#state === 'half-open' && !this.#trialInFlight) {
      this.#trialInFlight = true;
      return { trial: true };
    }
    return undefined;
  }

  /** How the request of this permit ended. */
  report(permit: Permit, outcome: Outcome): void {
    if (permit.trial) this.#trialInFlight = false;
    // Requests admitted before the circuit opened may still be finishing: once it is open,
    // only the trial request's outcome decides what happens next.
    if (this.#state === 'open' || (this.#state === 'half-open' && !permit.trial)) return;
    if (outcome === 'success') {
      this.#failures = 0;
      this.#change('closed');
    } else if (outcome === 'failure') {
      this.#failures += 1;
      if (this.#state === 'half-open' || this.#failures >= this.#failureThreshold) this.#open();
    }
  }

  /** How long until an open circuit lets a trial through; 0 when it is not open. */
  retryAfterMs(): number {
    if (this.#state !== 'open') return 0;
    return Math.max(0, this.#openedAt + this.#openMs - this.#now());
  }

  #open(): void {
    this.#openedAt = this.#now();
    this.#failures = 0;
    this.#change('open');
  }

  #change(state: BreakerState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#onChange(state);
  }
}
