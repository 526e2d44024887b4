import { findWinningLine, PAYTABLE, type Paytable } from './paytable.ts';
import { combinationAt, REEL_STRIPS, type Strips } from './reels.ts';

/** An exact fraction, reduced, plus its nearest floating-point value for display. */
export interface Rational {
  numerator: bigint;
  denominator: bigint;
  value: number;
}

interface Tally {
  /** Every way the three reels can stop: the product of the strip lengths. */
  combinations: bigint;
  /** Sum of the multipliers over all combinations: what a bet of 1 on each returns. */
  totalMultiplier: bigint;
  /** How many combinations pay anything. */
  winningCombinations: bigint;
}

/**
 * Visits every stop of reel 1 × every stop of reel 2 × every stop of reel 3. Each of these
 * combinations is exactly equally likely, so counting them gives exact probabilities — no
 * simulation, no sampling error. BigInt keeps the sums exact however large the strips get.
 */
function tally(strips: Strips, paytable: Paytable): Tally {
  let combinations = 0n;
  let totalMultiplier = 0n;
  let winningCombinations = 0n;
  for (let first = 0; first < strips[0].length; first++) {
    for (let second = 0; second < strips[1].length; second++) {
      for (let third = 0; third < strips[2].length; third++) {
        const line = findWinningLine(combinationAt([first, second, third], strips), paytable);
        combinations += 1n;
        if (line !== undefined) {
          totalMultiplier += BigInt(line.multiplier);
          winningCombinations += 1n;
        }
      }
    }
  }
  return { combinations, totalMultiplier, winningCombinations };
}

/**
 * Return to player: the share of all credits bet that the machine pays back in the long
 * run, i.e. the expected multiplier of one spin (total multiplier ÷ number of combinations).
 */
export function computeRtp(strips: Strips = REEL_STRIPS, paytable: Paytable = PAYTABLE): Rational {
  const { totalMultiplier, combinations } = tally(strips, paytable);
  return reduce(totalMultiplier, combinations);
}

/** The probability that a spin pays anything at all. */
export function computeHitFrequency(
  strips: Strips = REEL_STRIPS,
  paytable: Paytable = PAYTABLE,
): Rational {
  const { winningCombinations, combinations } = tally(strips, paytable);
  return reduce(winningCombinations, combinations);
}

/** "p/q", the form the API sends in `rtpExact`. */
export function formatRational(rational: Rational): string {
  return `${rational.numerator}/${rational.denominator}`;
}

function reduce(numerator: bigint, denominator: bigint): Rational {
  const divisor = gcd(numerator, denominator);
  const reduced = { numerator: numerator / divisor, denominator: denominator / divisor };
  return { ...reduced, value: Number(reduced.numerator) / Number(reduced.denominator) };
}

function gcd(a: bigint, b: bigint): bigint {
  return b === 0n ? a : gcd(b, a % b);
}
