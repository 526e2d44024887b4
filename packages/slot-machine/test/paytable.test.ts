import { describe, expect, it } from 'vitest';
import {
  type Combination,
  findWinningLine,
  isSymbolId,
  PAYTABLE,
  REEL_STRIPS,
  spin,
} from '../src/index.ts';
import { scriptedRandom } from './scripted-random.ts';

/** The stops at which the reels show this combination (every symbol is on every strip). */
function stopsShowing(combination: Combination): number[] {
  return combination.map((symbol, reel) => REEL_STRIPS[reel as 0 | 1 | 2].indexOf(symbol));
}

function spinOnto(combination: Combination, bet: number) {
  return spin(bet, scriptedRandom(stopsShowing(combination)));
}

// One hand-built combination per paytable line, with 'any' filled in by a symbol that does
// not turn it into a better line.
const examples: { combination: Combination; label: string; multiplier: number }[] = [
  { combination: ['seven', 'seven', 'seven'], label: 'Three sevens', multiplier: 100 },
  { combination: ['star', 'star', 'star'], label: 'Three stars', multiplier: 40 },
  { combination: ['robot', 'robot', 'robot'], label: 'Three robots', multiplier: 20 },
  { combination: ['puppy', 'puppy', 'puppy'], label: 'Three puppies', multiplier: 15 },
  { combination: ['bell', 'bell', 'bell'], label: 'Three bells', multiplier: 10 },
  { combination: ['cherry', 'cherry', 'cherry'], label: 'Three cherries', multiplier: 10 },
  { combination: ['cherry', 'cherry', 'seven'], label: 'Two cherries', multiplier: 4 },
  { combination: ['puppy', 'puppy', 'robot'], label: 'Two puppies', multiplier: 2 },
  { combination: ['cherry', 'bell', 'star'], label: 'One cherry', multiplier: 2 },
];

describe('paytable', () => {
  it('has a worked example for every line, in paytable order', () => {
    expect(examples.map((example) => example.label)).toEqual(PAYTABLE.map((line) => line.label));
  });

  it.each(examples)('pays $label at $multiplier× the bet', ({ combination, label, multiplier }) => {
    // Arrange
    const bet = 7;

    // Act
    const outcome = spinOnto(combination, bet);

    // Assert
    expect(outcome.reels).toEqual(combination);
    expect(outcome.line).toBe(label);
    expect(outcome.multiplier).toBe(multiplier);
    expect(outcome.payout).toBe(bet * multiplier);
  });

  it('lets the first matching line win: three cherries pay 10×, not two cherries or one', () => {
    const line = findWinningLine(['cherry', 'cherry', 'cherry']);

    expect(line?.label).toBe('Three cherries');
    expect(line?.multiplier).toBe(10);
  });

  it('lets three puppies beat two puppies', () => {
    expect(findWinningLine(['puppy', 'puppy', 'puppy'])?.label).toBe('Three puppies');
  });

  it('never lists a line that an earlier, more general line would always win', () => {
    // Line `later` is unreachable if every reel of `earlier` is 'any' or the same symbol.
    const shadowed = PAYTABLE.flatMap((later, index) =>
      PAYTABLE.slice(0, index)
        .filter((earlier) =>
          earlier.pattern.every((cell, reel) => cell === 'any' || cell === later.pattern[reel]),
        )
        .map((earlier) => `${later.label} is hidden by ${earlier.label}`),
    );

    expect(shadowed).toEqual([]);
  });

  const losers: { combination: Combination; why: string }[] = [
    { combination: ['bell', 'puppy', 'robot'], why: 'nothing lines up' },
    { combination: ['puppy', 'cherry', 'cherry'], why: 'cherries only count from the left' },
    { combination: ['seven', 'seven', 'star'], why: 'two sevens is not a line' },
  ];

  it.each(losers)('pays nothing for $combination ($why)', ({ combination }) => {
    const outcome = spinOnto(combination, 10);

    expect(outcome.payout).toBe(0);
    expect(outcome.multiplier).toBe(0);
    expect(outcome).not.toHaveProperty('line');
  });

  it('uses known symbols, positive whole multipliers and unique labels', () => {
    const cells = PAYTABLE.flatMap((line) => line.pattern);
    const labels = PAYTABLE.map((line) => line.label);

    expect(cells.filter((cell) => cell !== 'any' && !isSymbolId(cell))).toEqual([]);
    expect(PAYTABLE.every((line) => Number.isInteger(line.multiplier) && line.multiplier > 0)).toBe(
      true,
    );
    expect(new Set(labels).size).toBe(labels.length);
  });
});
