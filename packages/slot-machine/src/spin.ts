import { validateBet } from './bet.ts';
import { findWinningLine, PAYTABLE, type Paytable } from './paytable.ts';
import type { RandomSource } from './random.ts';
import { type Combination, combinationAt, REEL_STRIPS, type Strips } from './reels.ts';

export interface SpinOutcome {
  /** Index of the stop on each strip that landed on the pay line. */
  stops: readonly [number, number, number];
  /** The symbols on the pay line. */
  reels: Combination;
  /** 0 when nothing matched. */
  multiplier: number;
  /** bet × multiplier, in whole credits. The bet itself is debited separately. */
  payout: number;
  /** The paytable label of the winning line; absent on a loss. */
  line?: string;
}

/**
 * Spins the three reels once. Pure apart from `rng`: with a scripted or seeded source the
 * outcome is fully determined, which is what the tests rely on. The bet must already be
 * valid (see validateBet); an invalid one here is a programming error, so it throws.
 */
export function spin(
  bet: number,
  rng: RandomSource,
  strips: Strips = REEL_STRIPS,
  paytable: Paytable = PAYTABLE,
): SpinOutcome {
  const check = validateBet(bet);
  if (!check.ok) {
    throw new RangeError(check.message);
  }
  // Each reel stops independently and every stop is equally likely.
  const stops = [
    rng.nextInt(strips[0].length),
    rng.nextInt(strips[1].length),
    rng.nextInt(strips[2].length),
  ] as const;
  const reels = combinationAt(stops, strips);
  const line = findWinningLine(reels, paytable);
  if (line === undefined) {
    return { stops, reels, multiplier: 0, payout: 0 };
  }
  return {
    stops,
    reels,
    multiplier: line.multiplier,
    payout: bet * line.multiplier,
    line: line.label,
  };
}
