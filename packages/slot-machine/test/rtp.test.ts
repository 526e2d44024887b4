import { describe, expect, it } from 'vitest';
import {
  computeHitFrequency,
  computeRtp,
  PAYTABLE,
  REEL_STRIPS,
  type Strips,
  type SymbolId,
} from '../src/index.ts';

// A second, independent derivation: instead of visiting every combination, count how many
// combinations each paytable line wins by multiplying symbol counts per reel.
function count(reel: 0 | 1 | 2, symbol: SymbolId): bigint {
  return BigInt(REEL_STRIPS[reel].filter((s) => s === symbol).length);
}

function length(reel: 0 | 1 | 2): bigint {
  return BigInt(REEL_STRIPS[reel].length);
}

function threeOfAKind(symbol: SymbolId): bigint {
  return count(0, symbol) * count(1, symbol) * count(2, symbol);
}

/** Combinations won by each line, given that an earlier line takes precedence. */
function winsPerLine(): Map<string, bigint> {
  return new Map([
    ['Three sevens', threeOfAKind('seven')],
    ['Three stars', threeOfAKind('star')],
    ['Three robots', threeOfAKind('robot')],
    ['Three puppies', threeOfAKind('puppy')],
    ['Three bells', threeOfAKind('bell')],
    ['Three cherries', threeOfAKind('cherry')],
    // cherry, cherry, then anything but a cherry (that would be three cherries)
    ['Two cherries', count(0, 'cherry') * count(1, 'cherry') * (length(2) - count(2, 'cherry'))],
    // puppy, puppy, then anything but a puppy
    ['Two puppies', count(0, 'puppy') * count(1, 'puppy') * (length(2) - count(2, 'puppy'))],
    // a cherry, then anything but a cherry, then anything
    ['One cherry', count(0, 'cherry') * (length(1) - count(1, 'cherry')) * length(2)],
  ]);
}

function gcd(a: bigint, b: bigint): bigint {
  return b === 0n ? a : gcd(b, a % b);
}

function reduced(numerator: bigint, denominator: bigint): [bigint, bigint] {
  const divisor = gcd(numerator, denominator);
  return [numerator / divisor, denominator / divisor];
}

describe('computeRtp', () => {
  it('returns exactly 37/39, the same fraction as counting the wins of each paytable line', () => {
    // Arrange
    const wins = winsPerLine();
    const combinations = length(0) * length(1) * length(2);
    const paid = PAYTABLE.reduce(
      (sum, line) => sum + BigInt(line.multiplier) * (wins.get(line.label) ?? 0n),
      0n,
    );

    // Act
    const rtp = computeRtp();

    // Assert
    expect(combinations).toBe(22n * 24n * 26n);
    expect([rtp.numerator, rtp.denominator]).toEqual(reduced(paid, combinations));
    expect([rtp.numerator, rtp.denominator]).toEqual([37n, 39n]);
    expect(rtp.value).toBe(37 / 39);
  });

  it('stays between 90% and 98%', () => {
    const rtp = computeRtp();

    expect(rtp.value).toBeGreaterThanOrEqual(0.9);
    expect(rtp.value).toBeLessThanOrEqual(0.98);
  });

  it('is exact for a machine small enough to work out by hand', () => {
    // Arrange: 2 × 2 × 2 = 8 combinations, only cherry-cherry-cherry pays, 8×
    const strips: Strips = [
      ['cherry', 'bell'],
      ['cherry', 'bell'],
      ['cherry', 'bell'],
    ];
    const paytable = [
      { pattern: ['cherry', 'cherry', 'cherry'] as const, multiplier: 8, label: 'Three cherries' },
    ];

    // Act
    const rtp = computeRtp(strips, paytable);
    const hits = computeHitFrequency(strips, paytable);

    // Assert
    expect([rtp.numerator, rtp.denominator, rtp.value]).toEqual([1n, 1n, 1]);
    expect([hits.numerator, hits.denominator]).toEqual([1n, 8n]);
  });
});

describe('computeHitFrequency', () => {
  it('returns exactly 7/26, the share of combinations that some line wins', () => {
    // Arrange
    const winning = [...winsPerLine().values()].reduce((sum, wins) => sum + wins, 0n);
    const combinations = length(0) * length(1) * length(2);

    // Act
    const hits = computeHitFrequency();

    // Assert
    expect([hits.numerator, hits.denominator]).toEqual(reduced(winning, combinations));
    expect([hits.numerator, hits.denominator]).toEqual([7n, 26n]);
    expect(hits.value).toBeGreaterThanOrEqual(0.2);
    expect(hits.value).toBeLessThanOrEqual(0.35);
  });
});
