import { describe, expect, it } from 'vitest';
import { describeMachine, REEL_STRIPS } from '../src/index.ts';

describe('describeMachine', () => {
  it('has exactly the fields of GET /api/slots/machine', () => {
    const machine = describeMachine();

    expect(Object.keys(machine).sort()).toEqual(
      [
        'maxBet',
        'minBet',
        'paytable',
        'reels',
        'rtp',
        'rtpExact',
        'startingBalance',
        'symbols',
      ].sort(),
    );
    expect(machine).toMatchObject({ minBet: 1, maxBet: 100, startingBalance: 1000 });
  });

  it('reports the exact RTP as a p/q string and as a number', () => {
    const { rtp, rtpExact } = describeMachine();

    expect(rtpExact).toBe('37/39');
    expect(rtp).toBe(37 / 39);
  });

  it('lists 6 to 8 symbols including cherry, puppy and robot, and only those on the reels', () => {
    const { symbols, reels, paytable } = describeMachine();
    const ids = symbols.map((symbol) => symbol.id);

    expect(ids.length).toBeGreaterThanOrEqual(6);
    expect(ids.length).toBeLessThanOrEqual(8);
    expect(ids).toEqual(expect.arrayContaining(['cherry', 'puppy', 'robot']));
    expect(reels.flat().every((id) => ids.includes(id))).toBe(true);
    expect(
      paytable.flatMap((line) => line.pattern).every((c) => c === 'any' || ids.includes(c)),
    ).toBe(true);
  });

  it('shows three strips of 20 to 32 stops', () => {
    const { reels } = describeMachine();

    expect(reels).toHaveLength(3);
    expect(reels.every((strip) => strip.length >= 20 && strip.length <= 32)).toBe(true);
  });

  it('survives a JSON round trip unchanged (no BigInt, no undefined)', () => {
    const machine = describeMachine();

    expect(JSON.parse(JSON.stringify(machine))).toEqual(machine);
  });

  it('returns copies, so changing a response cannot change the game', () => {
    const machine = describeMachine();
    machine.reels[0][0] = 'seven';
    for (const line of machine.paytable) {
      line.multiplier = 1_000_000;
    }

    expect(REEL_STRIPS[0][0]).toBe('cherry');
    expect(describeMachine().paytable[0]?.multiplier).toBe(100);
    expect(describeMachine().reels[0][0]).toBe('cherry');
  });
});
