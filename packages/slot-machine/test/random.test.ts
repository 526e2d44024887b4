import { describe, expect, it } from 'vitest';
import { cryptoRandom, type RandomSource, seededRandom, uniformInt } from '../src/index.ts';

/** Pearson's chi-square statistic of `draws` values of nextInt(buckets) against uniform. */
function chiSquare(source: RandomSource, buckets: number, draws: number): number {
  const observed = new Array<number>(buckets).fill(0);
  for (let i = 0; i < draws; i++) {
    const value = source.nextInt(buckets);
    observed[value] = (observed[value] ?? 0) + 1;
  }
  const expected = draws / buckets;
  return observed.reduce((sum, seen) => sum + (seen - expected) ** 2 / expected, 0);
}

// Chi-square critical values at p = 0.001 for buckets − 1 degrees of freedom: a uniform
// source exceeds them only once in a thousand runs. The seed is fixed, so the test is
// deterministic: it either always passes or always fails.
const CRITICAL_AT_P_001 = [
  { buckets: 6, critical: 20.515 },
  { buckets: 22, critical: 46.797 },
  { buckets: 24, critical: 49.728 },
  { buckets: 26, critical: 52.62 },
];

describe('seededRandom', () => {
  it.each(CRITICAL_AT_P_001)(
    'spreads 60 000 draws evenly over $buckets buckets (chi-square < $critical)',
    ({ buckets, critical }) => {
      const statistic = chiSquare(seededRandom(2024), buckets, 60_000);

      expect(statistic).toBeLessThan(critical);
    },
  );

  it('fails the same chi-square check when the source is biased (so the check can fail)', () => {
    // `word % 6` over words 0..9: results 0–3 come up twice as often as 4 and 5.
    const inner = seededRandom(2024);
    const biased: RandomSource = { nextInt: (max) => inner.nextInt(10) % max };

    const statistic = chiSquare(biased, 6, 60_000);

    expect(statistic).toBeGreaterThan(20.515);
  });

  it('repeats the same sequence for the same seed', () => {
    const first = seededRandom(42);
    const second = seededRandom(42);

    const a = Array.from({ length: 20 }, () => first.nextInt(1000));
    const b = Array.from({ length: 20 }, () => second.nextInt(1000));

    expect(a).toEqual(b);
  });

  it('gives a different sequence for a different seed', () => {
    const first = seededRandom(42);
    const second = seededRandom(43);

    const a = Array.from({ length: 20 }, () => first.nextInt(1000));
    const b = Array.from({ length: 20 }, () => second.nextInt(1000));

    expect(a).not.toEqual(b);
  });

  it.each([1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects the seed %s', (seed) => {
    expect(() => seededRandom(seed)).toThrow(RangeError);
  });
});

describe('uniformInt', () => {
  it('throws away a word from the incomplete last block instead of biasing the result', () => {
    // 2^32 = 3 × 1 431 655 765 + 1, so the single word 2^32 − 1 would favour result 0.
    const words = [2 ** 32 - 1, 7];
    const next = () => words.shift() ?? Number.NaN;

    const value = uniformInt(next, 3);

    expect(value).toBe(7 % 3);
    expect(words).toEqual([]);
  });

  it('keeps the top word when the range divides 2^32 evenly', () => {
    expect(uniformInt(() => 2 ** 32 - 1, 4)).toBe(3);
  });
});

describe.each([
  { name: 'cryptoRandom', source: cryptoRandom },
  { name: 'seededRandom', source: seededRandom(7) },
])('$name', ({ source }) => {
  it('stays within [0, maxExclusive) and reaches every value', () => {
    const values = Array.from({ length: 10_000 }, () => source.nextInt(26));

    expect(values.every((value) => Number.isInteger(value) && value >= 0 && value < 26)).toBe(true);
    expect(new Set(values).size).toBe(26);
  });

  it('always returns 0 when there is only one choice', () => {
    expect(Array.from({ length: 100 }, () => source.nextInt(1))).toEqual(new Array(100).fill(0));
  });

  it.each([0, -1, 2.5, Number.NaN, 2 ** 32 + 1])('refuses nextInt(%s)', (max) => {
    expect(() => source.nextInt(max)).toThrow(RangeError);
  });
});
