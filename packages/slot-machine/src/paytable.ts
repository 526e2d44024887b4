import type { Combination } from './reels.ts';
import type { SymbolId } from './symbols.ts';

/** A symbol that must be on that reel, or 'any' for a reel that does not matter. */
export type PatternCell = SymbolId | 'any';

export interface PaytableLine {
  /** One cell per reel, left to right. */
  readonly pattern: readonly [PatternCell, PatternCell, PatternCell];
  /** The payout is bet × multiplier; the bet has already been taken, so 1 would return it. */
  readonly multiplier: number;
  readonly label: string;
}

export type Paytable = readonly PaytableLine[];

/**
 * Lines are checked from top to bottom and the FIRST match wins, so a more specific
 * pattern must come before a more general one: three cherries pay 10, not 4 or 2.
 * Multipliers are integers so that payouts stay whole credits.
 */
export const PAYTABLE: Paytable = [
  { pattern: ['seven', 'seven', 'seven'], multiplier: 100, label: 'Three sevens' },
  { pattern: ['star', 'star', 'star'], multiplier: 40, label: 'Three stars' },
  { pattern: ['robot', 'robot', 'robot'], multiplier: 20, label: 'Three robots' },
  { pattern: ['puppy', 'puppy', 'puppy'], multiplier: 15, label: 'Three puppies' },
  { pattern: ['bell', 'bell', 'bell'], multiplier: 10, label: 'Three bells' },
  { pattern: ['cherry', 'cherry', 'cherry'], multiplier: 10, label: 'Three cherries' },
  { pattern: ['cherry', 'cherry', 'any'], multiplier: 4, label: 'Two cherries' },
  { pattern: ['puppy', 'puppy', 'any'], multiplier: 2, label: 'Two puppies' },
  { pattern: ['cherry', 'any', 'any'], multiplier: 2, label: 'One cherry' },
];

export function matchesPattern(
  pattern: PaytableLine['pattern'],
  combination: Combination,
): boolean {
  return pattern.every((cell, reel) => cell === 'any' || cell === combination[reel]);
}

/** The line that pays for this combination, or undefined when it loses. */
export function findWinningLine(
  combination: Combination,
  paytable: Paytable = PAYTABLE,
): PaytableLine | undefined {
  return paytable.find((line) => matchesPattern(line.pattern, combination));
}
