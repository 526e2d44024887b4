import { describe, expect, it } from 'vitest';
import {
  exactReturn,
  type Machine,
  payoutRules,
  rulesMatchingRtp,
} from '../src/conformance/machine-rules.ts';

function machine(overrides: Partial<Machine> = {}): Machine {
  return {
    symbols: [
      { id: 'cherry', name: 'Cherry' },
      { id: 'robot', name: 'Robot' },
    ],
    reels: [
      ['cherry', 'robot'],
      ['cherry', 'robot'],
      ['cherry', 'robot'],
    ],
    paytable: [
      { pattern: ['cherry', 'any', 'any'], multiplier: 1, label: 'Cherry' },
      { pattern: ['cherry', 'cherry', 'cherry'], multiplier: 4, label: 'Three cherries' },
    ],
    minBet: 1,
    maxBet: 10,
    startingBalance: 100,
    rtp: 0.875,
    rtpExact: '7/8',
    ...overrides,
  };
}

describe('machine rules', () => {
  it('sums the multiplier of every reel combination', () => {
    // 8 combinations; 4 start with a cherry (×1 first-match), one of them is three cherries.
    expect(
      exactReturn(machine(), payoutRules['first matching paytable entry'] ?? (() => 0)),
    ).toEqual({
      paid: 4n,
      combinations: 8n,
    });
    expect(exactReturn(machine(), payoutRules['highest matching multiplier'] ?? (() => 0))).toEqual(
      {
        paid: 7n,
        combinations: 8n,
      },
    );
  });

  it('names the payout rules under which the published RTP is exact', () => {
    expect(rulesMatchingRtp(machine())).toEqual(['highest matching multiplier']);
    expect(rulesMatchingRtp(machine({ rtp: 0.5, rtpExact: '1/2' }))).toEqual([
      'first matching paytable entry',
    ]);
  });

  it('finds no rule when the published RTP does not follow from the reels', () => {
    expect(rulesMatchingRtp(machine({ rtp: 0.95, rtpExact: '19/20' }))).toEqual([]);
  });
});
