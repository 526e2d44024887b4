import type { SymbolId } from './symbols.ts';

/** One reel strip: the symbols in the order they pass the pay line. It wraps around. */
export type Strip = readonly SymbolId[];

/** What the pay line (the centre row) shows after a spin: one symbol per reel. */
export type Combination = readonly [SymbolId, SymbolId, SymbolId];

export type Strips = readonly [Strip, Strip, Strip];

/**
 * The three reel strips. Every stop is equally likely, so how often a symbol appears on a
 * strip is its probability on that reel. The strips differ on purpose:
 *
 * | reel | stops | cherry | bell | puppy | robot | star | seven |
 * |------|-------|--------|------|-------|-------|------|-------|
 * | 1    | 22    | 4      | 5    | 6     | 4     | 2    | 1     |
 * | 2    | 24    | 1      | 8    | 6     | 4     | 3    | 2     |
 * | 3    | 26    | 10     | 5    | 4     | 3     | 2    | 2     |
 *
 * A cherry pays only from the left (see the paytable), so the many cherries on reel 3 are
 * mostly filler that makes three-of-a-kind rarer; the single cherry on reel 2 keeps
 * "two cherries" rare. Changing a strip changes the RTP: re-run the tests.
 */
// biome-ignore format: ten stops per row is easier to read than one per line
export const REEL_STRIPS: Strips = [
  [
    'cherry', 'bell', 'puppy', 'robot', 'puppy', 'bell', 'cherry', 'star', 'robot', 'puppy',
    'bell', 'cherry', 'puppy', 'robot', 'bell', 'puppy', 'cherry', 'seven', 'star', 'bell',
    'robot', 'puppy',
  ],
  [
    'cherry', 'bell', 'puppy', 'robot', 'bell', 'star', 'puppy', 'bell', 'robot', 'puppy',
    'bell', 'seven', 'bell', 'star', 'puppy', 'robot', 'bell', 'puppy', 'bell', 'robot',
    'star', 'puppy', 'bell', 'seven',
  ],
  [
    'cherry', 'bell', 'puppy', 'cherry', 'robot', 'cherry', 'bell', 'cherry', 'star', 'puppy',
    'cherry', 'seven', 'bell', 'robot', 'cherry', 'puppy', 'cherry', 'bell', 'cherry', 'star',
    'cherry', 'robot', 'puppy', 'bell', 'cherry', 'seven',
  ],
];

/** The symbols on the pay line when the reels stop at these indices. */
export function combinationAt(
  stops: readonly [number, number, number],
  strips: Strips = REEL_STRIPS,
): Combination {
  return [
    symbolAt(strips[0], stops[0]),
    symbolAt(strips[1], stops[1]),
    symbolAt(strips[2], stops[2]),
  ];
}

function symbolAt(strip: Strip, stop: number): SymbolId {
  const symbol = strip[stop];
  if (symbol === undefined) {
    throw new RangeError(`stop ${stop} is not on a strip of ${strip.length} stops`);
  }
  return symbol;
}
