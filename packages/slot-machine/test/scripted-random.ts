import type { RandomSource } from '../src/index.ts';

/** A RandomSource that returns the given numbers in order and records what it was asked. */
export interface ScriptedRandom extends RandomSource {
  readonly requestedRanges: number[];
}

export function scriptedRandom(values: readonly number[]): ScriptedRandom {
  const queue = [...values];
  const requestedRanges: number[] = [];
  return {
    requestedRanges,
    nextInt(maxExclusive) {
      requestedRanges.push(maxExclusive);
      const value = queue.shift();
      if (value === undefined || value < 0 || value >= maxExclusive) {
        throw new Error(`script cannot answer nextInt(${maxExclusive}) with ${value}`);
      }
      return value;
    },
  };
}
