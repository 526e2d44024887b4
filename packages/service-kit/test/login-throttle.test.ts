import { describe, expect, it } from 'vitest';
import {
  FailedAttemptLimiter,
  type FailedAttemptPolicy,
  HttpError,
  LoginThrottle,
  type LoginThrottleOptions,
} from '../src/index.ts';
import { fakeClock } from './helpers.ts';

function limiterOnFakeClock(policy: Partial<FailedAttemptPolicy> = {}) {
  const clock = fakeClock();
  return { limiter: new FailedAttemptLimiter({ ...policy, now: clock.now }), ...clock };
}

function failTimes(limiter: FailedAttemptLimiter, key: string, times: number): void {
  for (let i = 0; i < times; i++) limiter.fail(key);
}

describe('FailedAttemptLimiter', () => {
  it('lets a key fail freeFailures times, then makes it wait firstDelayMs', () => {
    const { limiter } = limiterOnFakeClock({ freeFailures: 3, firstDelayMs: 1_000 });

    failTimes(limiter, 'alice', 2);
    const afterTwo = limiter.waitMs('alice');
    limiter.fail('alice');
    const afterThree = limiter.waitMs('alice');

    expect(afterTwo).toBe(0);
    expect(afterThree).toBe(1_000);
  });

  it('doubles the wait with each further failure, up to maxDelayMs', () => {
    const { limiter } = limiterOnFakeClock({
      freeFailures: 1,
      firstDelayMs: 100,
      maxDelayMs: 1_000,
    });

    const waits = [];
    for (let i = 0; i < 6; i++) {
      limiter.fail('alice');
      waits.push(limiter.waitMs('alice'));
    }

    expect(waits).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('counts the wait from the last failure, and lets the key try again once it is over', () => {
    const { limiter, advance } = limiterOnFakeClock({ freeFailures: 1, firstDelayMs: 1_000 });
    limiter.fail('alice');

    advance(400);
    const during = limiter.waitMs('alice');
    advance(600);
    const after = limiter.waitMs('alice');

    expect(during).toBe(600);
    expect(after).toBe(0);
  });

  it('keeps each key apart', () => {
    const { limiter } = limiterOnFakeClock({ freeFailures: 1 });

    limiter.fail('alice');

    expect(limiter.waitMs('alice')).toBeGreaterThan(0);
    expect(limiter.waitMs('bob')).toBe(0);
  });

  it('lets a guesser who retries as soon as allowed settle at one try per maxDelayMs', () => {
    const { limiter, now, advance } = limiterOnFakeClock({
      freeFailures: 5,
      firstDelayMs: 1_000,
      maxDelayMs: 300_000,
    });
    const triesAt: number[] = [];

    while (now() < 3 * 3_600_000) {
      advance(limiter.waitMs('alice'));
      triesAt.push(now());
      limiter.fail('alice');
    }

    const lastHour = triesAt.filter((t) => t >= 2 * 3_600_000);
    const gaps = lastHour.slice(1).map((t, i) => t - (lastHour[i] ?? 0));
    expect(new Set(gaps)).toEqual(new Set([300_000]));
    expect(triesAt.length).toBeLessThan(60);
  });

  it('forgives one failure per maxDelayMs, so a key that stops failing is forgotten', () => {
    const { limiter, advance } = limiterOnFakeClock({
      freeFailures: 2,
      firstDelayMs: 1_000,
      maxDelayMs: 10_000,
    });
    failTimes(limiter, 'alice', 4);

    advance(10_000);
    const oneForgiven = limiter.waitMs('alice');
    advance(10_000);
    const twoForgiven = limiter.waitMs('alice');
    limiter.fail('alice');

    // Four failures wait 4 s; three left wait 2 s and two 1 s, both long over by then.
    expect(oneForgiven).toBe(0);
    expect(twoForgiven).toBe(0);
    // Two left plus the new one: three failures, one over the free ones, so 2 s, not 8 s.
    expect(limiter.waitMs('alice')).toBe(2_000);
  });

  it('forgets every failure of a key on reset', () => {
    const { limiter } = limiterOnFakeClock({ freeFailures: 1 });
    failTimes(limiter, 'alice', 5);

    limiter.reset('alice');

    expect(limiter.waitMs('alice')).toBe(0);
    limiter.fail('alice');
    expect(limiter.waitMs('alice')).toBe(1_000);
  });

  it('takes back one failure on forgive', () => {
    const { limiter } = limiterOnFakeClock({ freeFailures: 2, firstDelayMs: 1_000 });
    failTimes(limiter, 'alice', 3);

    limiter.forgive('alice');

    expect(limiter.waitMs('alice')).toBe(1_000);
    limiter.forgive('alice');
    expect(limiter.waitMs('alice')).toBe(0);
  });

  it('remembers at most maxKeys keys, forgetting the one whose last failure is oldest', () => {
    const { limiter } = limiterOnFakeClock({ freeFailures: 1, maxKeys: 3 });
    limiter.fail('a');
    limiter.fail('b');
    limiter.fail('c');
    limiter.fail('a');

    limiter.fail('d');

    expect(limiter.size).toBe(3);
    expect(limiter.waitMs('b')).toBe(0);
    expect([limiter.waitMs('a'), limiter.waitMs('c'), limiter.waitMs('d')]).not.toContain(0);
  });

  it('stays within maxKeys under a flood of made-up keys', () => {
    const { limiter } = limiterOnFakeClock({ maxKeys: 1_000 });

    for (let i = 0; i < 100_000; i++) limiter.fail(`made_up_${i}`);

    expect(limiter.size).toBe(1_000);
  });
});

function throttleOnFakeClock(options: Omit<LoginThrottleOptions, 'now'> = {}) {
  const clock = fakeClock();
  return { throttle: new LoginThrottle({ ...options, now: clock.now }), ...clock };
}

/** The 429 that admit() throws, or undefined when it admits the attempt. */
function refusal(throttle: LoginThrottle, username: string, address: string) {
  try {
    throttle.admit(username, address);
    return undefined;
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
}

/** Admits `times` attempts that all turn out to be wrong passwords. */
function failLogIns(throttle: LoginThrottle, username: string, address: string, times: number) {
  for (let i = 0; i < times; i++) throttle.admit(username, address);
}

describe('LoginThrottle', () => {
  it('refuses with 429 /problems/too-many-failed-logins and Retry-After in whole seconds', () => {
    const { throttle, advance } = throttleOnFakeClock({
      perAccount: { freeFailures: 5, firstDelayMs: 1_000 },
    });
    failLogIns(throttle, 'alice', '203.0.113.1', 5);
    advance(400);

    const error = refusal(throttle, 'alice', '203.0.113.1');

    expect(error?.status).toBe(429);
    expect(error?.type).toBe('/problems/too-many-failed-logins');
    expect(error?.headers['Retry-After']).toBe('1');
    expect(error?.detail).toMatch(/Try again in 1 s/);
  });

  it('counts an account’s failures from every address together (credential stuffing)', () => {
    const { throttle } = throttleOnFakeClock({ perAccount: { freeFailures: 3 } });

    for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      throttle.admit('alice', address);
    }

    expect(refusal(throttle, 'alice', '203.0.113.4')?.status).toBe(429);
    expect(refusal(throttle, 'bob', '203.0.113.4')).toBeUndefined();
  });

  it('counts an address’s failures across accounts (password spraying)', () => {
    const { throttle } = throttleOnFakeClock({ perAddress: { freeFailures: 3 } });

    for (const username of ['alice', 'bob', 'carol']) throttle.admit(username, '203.0.113.1');

    expect(refusal(throttle, 'dave', '203.0.113.1')?.status).toBe(429);
    expect(refusal(throttle, 'dave', '203.0.113.2')).toBeUndefined();
  });

  it('counts attempts when they are admitted, so parallel guesses cannot all slip through', () => {
    const { throttle } = throttleOnFakeClock({ perAccount: { freeFailures: 5 } });

    // Twenty guesses arrive before any password check has finished.
    const admitted = Array.from({ length: 20 }, () => refusal(throttle, 'alice', '203.0.113.1'));

    expect(admitted.filter((error) => error === undefined)).toHaveLength(5);
  });

  it('on success, resets the account but gives the address back only that attempt', () => {
    const { throttle } = throttleOnFakeClock({
      perAccount: { freeFailures: 3 },
      perAddress: { freeFailures: 3 },
    });
    failLogIns(throttle, 'alice', '203.0.113.1', 2);

    throttle.admit('alice', '203.0.113.1').succeeded();

    // Alice has three tries again; the address still carries its two failures, so its third
    // (bob's) is its last before a wait.
    expect(refusal(throttle, 'alice', '203.0.113.9')).toBeUndefined();
    expect(refusal(throttle, 'bob', '203.0.113.1')).toBeUndefined();
    expect(refusal(throttle, 'carol', '203.0.113.1')?.status).toBe(429);
  });

  it('gives back an abandoned attempt to both the account and the address', () => {
    const { throttle } = throttleOnFakeClock({
      perAccount: { freeFailures: 2 },
      perAddress: { freeFailures: 2 },
    });
    throttle.admit('alice', '203.0.113.1');

    throttle.admit('alice', '203.0.113.1').abandoned();

    expect(refusal(throttle, 'alice', '203.0.113.1')).toBeUndefined();
    expect(refusal(throttle, 'alice', '203.0.113.1')?.status).toBe(429);
  });

  it('never makes a player wait longer than the account’s maxDelayMs', () => {
    const { throttle, advance } = throttleOnFakeClock();
    failLogIns(throttle, 'alice', '203.0.113.1', 5);

    const retryAfters = [];
    for (let i = 0; i < 30; i++) {
      const error = refusal(throttle, 'alice', `198.51.100.${i}`);
      const seconds = Number(error?.headers['Retry-After']);
      retryAfters.push(seconds);
      advance(seconds * 1_000);
      throttle.admit('alice', `198.51.100.${i}`);
    }

    expect(Math.max(...retryAfters)).toBe(300);
  });
});
