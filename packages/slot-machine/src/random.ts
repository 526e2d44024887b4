import { randomInt } from 'node:crypto';

/**
 * Where a spin's randomness comes from. The game rules only ever ask for "a whole number
 * in [0, maxExclusive)", so production can use the operating system's CSPRNG while tests
 * and demos use a seeded, reproducible source.
 */
export interface RandomSource {
  nextInt(maxExclusive: number): number;
}

/** Both sources draw from 32-bit words, so a range can hold at most 2^32 values. */
const UINT32_RANGE = 2 ** 32;

/** The source for real games: node:crypto's randomInt, which is already unbiased. */
export const cryptoRandom: RandomSource = {
  nextInt(maxExclusive) {
    assertRange(maxExclusive);
    return randomInt(maxExclusive);
  },
};

/**
 * A reproducible source for tests and demos — never for real credits, because anyone who
 * knows the seed knows every spin. The generator is mulberry32 (Tommy Ettinger, public
 * domain): 32 bits of state, one 32-bit word per step, good enough statistics for a game.
 */
export function seededRandom(seed: number): RandomSource {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be an integer, got ${seed}`);
  }
  let state = seed >>> 0;
  const nextUint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
  return { nextInt: (maxExclusive) => uniformInt(nextUint32, maxExclusive) };
}

/**
 * Turns uniform 32-bit words into a uniform integer in [0, maxExclusive).
 * A plain `word % maxExclusive` is biased: 2^32 is rarely a multiple of maxExclusive, so the
 * low results would get one extra word each. Rejection sampling throws away the words in
 * that incomplete last block and draws again (at most half the words, usually almost none).
 */
export function uniformInt(nextUint32: () => number, maxExclusive: number): number {
  assertRange(maxExclusive);
  const limit = UINT32_RANGE - (UINT32_RANGE % maxExclusive);
  let word = nextUint32();
  while (word >= limit) {
    word = nextUint32();
  }
  return word % maxExclusive;
}

function assertRange(maxExclusive: number): void {
  if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > UINT32_RANGE) {
    throw new RangeError(`maxExclusive must be an integer in [1, 2^32], got ${maxExclusive}`);
  }
}
