import { HttpError } from '@course/service-kit';
import { describe, expect, it } from 'vitest';
import { mergeLeaderboards } from '../src/facade/leaderboard.ts';
import type { Implementation } from '../src/wallets/ownership.ts';

interface Entry {
  userId: string;
  username: string;
  balance: number;
}

/** A target's leaderboard body, ranked as the target ranks its own players. */
function board(entries: Entry[]): unknown {
  return { items: entries.map((entry, index) => ({ rank: index + 1, ...entry })) };
}

function entry(userId: string, balance: number, username = userId): Entry {
  return { userId, username, balance };
}

/** Players whose id starts with "s-" live in the slots database, the others in the monolith's. */
const ownerOf = (playerId: string): Implementation =>
  playerId.startsWith('s-') ? 'slots' : 'monolith';

function merge(monolith: unknown, slots: unknown) {
  return mergeLeaderboards({
    responses: [
      { target: 'monolith', body: monolith },
      { target: 'slots', body: slots },
    ],
    ownerOf,
  });
}

describe('mergeLeaderboards', () => {
  it('merges both lists and ranks them again by balance', () => {
    const merged = merge(
      board([entry('m-1', 300), entry('m-2', 100)]),
      board([entry('s-1', 200), entry('s-2', 50)]),
    );

    expect(merged.items).toEqual([
      { rank: 1, ...entry('m-1', 300) },
      { rank: 2, ...entry('s-1', 200) },
      { rank: 3, ...entry('m-2', 100) },
      { rank: 4, ...entry('s-2', 50) },
    ]);
  });

  it("keeps each player's entry from the target that owns the wallet", () => {
    // Each target still knows the other's players, with balances that are no longer current.
    const merged = merge(
      board([entry('s-1', 9_999), entry('m-1', 10)]),
      board([entry('m-1', 8_888), entry('s-1', 20)]),
    );

    expect(merged.items).toEqual([
      { rank: 1, ...entry('s-1', 20) },
      { rank: 2, ...entry('m-1', 10) },
    ]);
  });

  it('keeps the top ten only', () => {
    const monolith = Array.from({ length: 10 }, (_, i) => entry(`m-${i}`, 1_000 - i * 2));
    const slots = Array.from({ length: 10 }, (_, i) => entry(`s-${i}`, 999 - i * 2));

    const merged = merge(board(monolith), board(slots));

    expect(merged.items.map((item) => item.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(merged.items.map((item) => item.userId)).toEqual([
      'm-0',
      's-0',
      'm-1',
      's-1',
      'm-2',
      's-2',
      'm-3',
      's-3',
      'm-4',
      's-4',
    ]);
  });

  it('breaks ties by the code points of the usernames, not by the locale', () => {
    // By code point "Zoe" < "alice" < "émile"; a locale-aware order puts "Zoe" last.
    const merged = merge(
      board([entry('m-1', 100, 'émile'), entry('m-2', 100, 'Zoe')]),
      board([entry('s-1', 100, 'alice')]),
    );

    expect(merged.items.map((item) => item.username)).toEqual(['Zoe', 'alice', 'émile']);
  });

  it('answers 503 problem, not a crash, when a target sends a body of another shape', () => {
    const malformed = { items: [{ userId: 's-1', balance: 'a lot' }] };

    const problem = catchError(() => merge(board([entry('m-1', 1)]), malformed));

    expect(problem).toBeInstanceOf(HttpError);
    expect(problem).toMatchObject({ status: 503 });
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
