import { HttpError } from './errors.ts';
import { FailedAttemptLimiter, type FailedAttemptPolicy } from './failed-attempts.ts';

/**
 * Per account, from all addresses together (credential stuffing comes from many): 5 free
 * tries, then waits of 1 s, 2 s, 4 s … up to 5 minutes, which is also the pace a guesser
 * settles at: about 12 guesses an hour, while the player is never locked out for longer.
 */
export const ACCOUNT_LOGIN_POLICY: FailedAttemptPolicy = {
  freeFailures: 5,
  firstDelayMs: 1_000,
  maxDelayMs: 300_000,
  maxKeys: 10_000,
};

/**
 * Per client address, across accounts (password spraying tries one password on many): room
 * for a class or an office behind one NAT address to mistype, then waits up to 30 s.
 */
export const ADDRESS_LOGIN_POLICY: FailedAttemptPolicy = {
  freeFailures: 100,
  firstDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxKeys: 10_000,
};

export const TOO_MANY_FAILED_LOGINS = '/problems/too-many-failed-logins';

/** One admitted log-in attempt. It counts as a failure unless one of these says otherwise. */
export interface LoginAttempt {
  /** The password was right: the account starts afresh, the address gets this attempt back. */
  succeeded(): void;
  /** Nothing was learnt about the password (e.g. the database is down): the attempt is given back. */
  abandoned(): void;
}

export interface LoginThrottleOptions {
  perAccount?: Partial<FailedAttemptPolicy>;
  perAddress?: Partial<FailedAttemptPolicy>;
  /** The clock, in milliseconds; tests pass a fake one. */
  now?: () => number;
}

/**
 * Slows down password guessing: failed log-ins are counted per account and per client
 * address, and a key with too many must wait (429 with Retry-After) before its next try.
 * Framework-free: the route passes the username and the client's address key.
 */
export class LoginThrottle {
  readonly #accounts: FailedAttemptLimiter;
  readonly #addresses: FailedAttemptLimiter;

  constructor(options: LoginThrottleOptions = {}) {
    const now = options.now;
    this.#accounts = new FailedAttemptLimiter({
      ...ACCOUNT_LOGIN_POLICY,
      ...options.perAccount,
      now,
    });
    this.#addresses = new FailedAttemptLimiter({
      ...ADDRESS_LOGIN_POLICY,
      ...options.perAddress,
      now,
    });
  }

  /**
   * Call before checking the password, so a guess that must wait costs no password hash.
   * Throws a 429 HttpError when the account or the address must wait. Otherwise the attempt
   * is counted as a failure at once: guesses sent in parallel all see the ones before them,
   * instead of all passing the check before the first failure is counted.
   */
  admit(username: string, address: string): LoginAttempt {
    const waitMs = Math.max(this.#accounts.waitMs(username), this.#addresses.waitMs(address));
    if (waitMs > 0) throw tooManyFailedLogins(waitMs);
    this.#accounts.fail(username);
    this.#addresses.fail(address);
    return {
      succeeded: () => {
        this.#accounts.reset(username);
        // Only this attempt is given back: a guesser's own successful log-ins must not wipe
        // out the failures of its address.
        this.#addresses.forgive(address);
      },
      abandoned: () => {
        this.#accounts.forgive(username);
        this.#addresses.forgive(address);
      },
    };
  }
}

function tooManyFailedLogins(waitMs: number): HttpError {
  const seconds = Math.ceil(waitMs / 1000);
  return new HttpError(429, {
    type: TOO_MANY_FAILED_LOGINS,
    title: 'Too many failed log-ins',
    detail: `Too many failed log-ins for this username or from your address. Try again in ${seconds} s.`,
    headers: { 'Retry-After': String(seconds) },
  });
}
