import { describe, expect, it } from 'vitest';
import { type BreakerState, CircuitBreaker, type Permit } from '../src/circuit-breaker.ts';

/** A breaker on a clock the test moves by hand, recording its changes of state. */
function breakerOnFakeClock(options: { failureThreshold?: number; openMs?: number } = {}) {
  let now = 0;
  const changes: BreakerState[] = [];
  const breaker = new CircuitBreaker({
    ...options,
    now: () => now,
    onChange: (state) => changes.push(state),
  });
  return {
    breaker,
    changes,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

function admitted(breaker: CircuitBreaker): Permit {
  const permit = breaker.admit();
  if (permit === undefined) throw new Error('expected the breaker to admit a request');
  return permit;
}

function fail(breaker: CircuitBreaker, times: number): void {
  for (let i = 0; i < times; i++) breaker.report(admitted(breaker), 'failure');
}

describe('CircuitBreaker', () => {
  it('stays closed below the failure threshold', () => {
    const { breaker } = breakerOnFakeClock({ failureThreshold: 3 });

    fail(breaker, 2);

    expect(breaker.state).toBe('closed');
    expect(breaker.admit()).toEqual({ trial: false });
  });

  it('opens after the threshold of consecutive failures and refuses without trying', () => {
    const { breaker, changes } = breakerOnFakeClock({ failureThreshold: 3, openMs: 1000 });

    fail(breaker, 3);

    expect(breaker.state).toBe('open');
    expect(breaker.admit()).toBeUndefined();
    expect(breaker.retryAfterMs()).toBe(1000);
    expect(changes).toEqual(['open']);
  });

  it('counts only consecutive failures: a success in between starts again', () => {
    const { breaker } = breakerOnFakeClock({ failureThreshold: 3 });

    fail(breaker, 2);
    breaker.report(admitted(breaker), 'success');
    fail(breaker, 2);

    expect(breaker.state).toBe('closed');
  });

  it('lets exactly one trial through once openMs has passed', () => {
    const { breaker, advance } = breakerOnFakeClock({ failureThreshold: 1, openMs: 1000 });
    fail(breaker, 1);

    advance(999);
    const tooEarly = breaker.admit();
    advance(1);
    const trial = breaker.admit();
    const second = breaker.admit();

    expect(tooEarly).toBeUndefined();
    expect(trial).toEqual({ trial: true });
    expect(second).toBeUndefined();
    expect(breaker.state).toBe('half-open');
  });

  it('closes when the trial succeeds', () => {
    const { breaker, advance, changes } = breakerOnFakeClock({ failureThreshold: 1, openMs: 1000 });
    fail(breaker, 1);
    advance(1000);

    breaker.report(admitted(breaker), 'success');

    expect(breaker.state).toBe('closed');
    expect(changes).toEqual(['open', 'half-open', 'closed']);
    expect(breaker.admit()).toEqual({ trial: false });
  });

  it('opens again for another openMs when the trial fails', () => {
    const { breaker, advance } = breakerOnFakeClock({ failureThreshold: 3, openMs: 1000 });
    fail(breaker, 3);
    advance(1000);

    breaker.report(admitted(breaker), 'failure');

    expect(breaker.state).toBe('open');
    expect(breaker.admit()).toBeUndefined();
    advance(999);
    expect(breaker.admit()).toBeUndefined();
    advance(1);
    expect(breaker.admit()).toEqual({ trial: true });
  });

  it('frees the trial slot when the trial is abandoned', () => {
    const { breaker, advance } = breakerOnFakeClock({ failureThreshold: 1, openMs: 1000 });
    fail(breaker, 1);
    advance(1000);

    breaker.report(admitted(breaker), 'abandoned');

    expect(breaker.state).toBe('half-open');
    expect(breaker.admit()).toEqual({ trial: true });
  });

  it('ignores the late outcomes of requests admitted before it opened', () => {
    const { breaker, advance } = breakerOnFakeClock({ failureThreshold: 2, openMs: 1000 });
    const early = admitted(breaker);
    const earlier = admitted(breaker);
    fail(breaker, 2);

    breaker.report(early, 'success');
    expect(breaker.state).toBe('open');
    advance(1000);
    const trial = admitted(breaker);
    breaker.report(earlier, 'success');

    expect(breaker.state).toBe('half-open');
    breaker.report(trial, 'failure');
    expect(breaker.state).toBe('open');
  });

  it('uses a threshold of 3 and an open time of 1 s by default', () => {
    const { breaker, advance } = breakerOnFakeClock();

    fail(breaker, 2);
    expect(breaker.state).toBe('closed');
    fail(breaker, 1);
    expect(breaker.state).toBe('open');
    advance(999);
    expect(breaker.admit()).toBeUndefined();
    advance(1);
    expect(breaker.admit()).toEqual({ trial: true });
  });
});
