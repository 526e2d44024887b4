import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeHitFrequency,
  computeRtp,
  findWinningLine,
  MAX_BET,
  MIN_BET,
  REEL_STRIPS,
  seededRandom,
  spin,
} from '../src/index.ts';
import { scriptedRandom } from './scripted-random.ts';

describe('spin', () => {
  it('stops each reel where the random source says, reel 1 first', () => {
    // Arrange: stop 17 of reel 1, 11 of reel 2 and 25 of reel 3 are all sevens
    const rng = scriptedRandom([17, 11, 25]);

    // Act
    const outcome = spin(5, rng);

    // Assert
    expect(rng.requestedRanges).toEqual([22, 24, 26]);
    expect(outcome).toEqual({
      stops: [17, 11, 25],
      reels: ['seven', 'seven', 'seven'],
      multiplier: 100,
      payout: 500,
      line: 'Three sevens',
    });
  });

  it('reports a loss with no line and no payout', () => {
    const outcome = spin(5, scriptedRandom([1, 2, 3]));

    expect(outcome).toEqual({
      stops: [1, 2, 3],
      reels: ['bell', 'puppy', 'cherry'],
      multiplier: 0,
      payout: 0,
    });
  });

  it.each([0, 101, 2.5, Number.NaN])('refuses the invalid bet %s before drawing', (bet) => {
    const rng = scriptedRandom([0, 0, 0]);

    expect(() => spin(bet, rng)).toThrow(RangeError);
    expect(rng.requestedRanges).toEqual([]);
  });

  it('pays bet × multiplier, a non-negative whole number, for any bet and stops (property)', () => {
    const bets = fc.integer({ min: MIN_BET, max: MAX_BET });
    const stops = fc.tuple(
      fc.nat({ max: REEL_STRIPS[0].length - 1 }),
      fc.nat({ max: REEL_STRIPS[1].length - 1 }),
      fc.nat({ max: REEL_STRIPS[2].length - 1 }),
    );

    fc.assert(
      fc.property(bets, stops, (bet, [first, second, third]) => {
        const outcome = spin(bet, scriptedRandom([first, second, third]));

        expect(outcome.stops).toEqual([first, second, third]);
        expect(outcome.multiplier).toBe(findWinningLine(outcome.reels)?.multiplier ?? 0);
        expect(outcome.payout).toBe(bet * outcome.multiplier);
        expect(Number.isSafeInteger(outcome.payout) && outcome.payout >= 0).toBe(true);
      }),
    );
  });

  it('is reproducible with a seeded source', () => {
    const first = seededRandom(99);
    const second = seededRandom(99);

    const a = Array.from({ length: 50 }, () => spin(1, first));
    const b = Array.from({ length: 50 }, () => spin(1, second));

    expect(a).toEqual(b);
  });

  it('agrees with the exact RTP and hit frequency over 100 000 seeded spins', () => {
    // Arrange
    const rng = seededRandom(2024);
    const spins = 100_000;
    let paid = 0;
    let hits = 0;

    // Act
    for (let i = 0; i < spins; i++) {
      const { payout } = spin(1, rng);
      paid += payout;
      hits += payout > 0 ? 1 : 0;
    }

    // Assert: tolerances are about five standard errors, and the seed is fixed
    expect(Math.abs(paid / spins - computeRtp().value)).toBeLessThan(0.05);
    expect(Math.abs(hits / spins - computeHitFrequency().value)).toBeLessThan(0.01);
  });
});
