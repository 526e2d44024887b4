import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BET, MIN_BET, STARTING_BALANCE, validateBet } from '../src/index.ts';

describe('bet limits', () => {
  it('are 1 to 100 credits, with 1000 credits to start', () => {
    expect([MIN_BET, MAX_BET, STARTING_BALANCE]).toEqual([1, 100, 1000]);
  });
});

describe('validateBet', () => {
  it.each([1, 2, 50, 99, 100])('accepts %d', (bet) => {
    expect(validateBet(bet)).toEqual({ ok: true, bet });
  });

  it.each([
    { bet: 0, problem: 'below-minimum' },
    { bet: -1, problem: 'below-minimum' },
    { bet: -100, problem: 'below-minimum' },
    { bet: 101, problem: 'above-maximum' },
    { bet: 1_000_000, problem: 'above-maximum' },
    { bet: 1.5, problem: 'not-an-integer' },
    { bet: 0.5, problem: 'not-an-integer' },
    { bet: Number.NaN, problem: 'not-an-integer' },
    { bet: Number.POSITIVE_INFINITY, problem: 'not-an-integer' },
    { bet: 1e21, problem: 'not-an-integer' }, // a float, far beyond safe integers
    { bet: '10', problem: 'not-an-integer' },
    { bet: null, problem: 'not-an-integer' },
    { bet: undefined, problem: 'not-an-integer' },
  ])('rejects $bet as $problem', ({ bet, problem }) => {
    const check = validateBet(bet);

    expect(check).toMatchObject({ ok: false, problem });
    expect(check.ok ? '' : check.message).toMatch(/bet must/);
  });

  it('accepts every whole number from minBet to maxBet and nothing else (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1_000, max: 1_000 }), (bet) => {
        expect(validateBet(bet).ok).toBe(bet >= MIN_BET && bet <= MAX_BET);
      }),
    );
  });

  it('rejects every fractional number (property)', () => {
    const fractional = fc.double({ min: -200, max: 200 }).filter((x) => !Number.isInteger(x));

    fc.assert(
      fc.property(fractional, (bet) => {
        expect(validateBet(bet)).toMatchObject({ ok: false, problem: 'not-an-integer' });
      }),
    );
  });
});
