import { randomUUID } from 'node:crypto';
import { filesOfPackages, importGraph, rejectionOf } from '@course/local';
import type { LeaderboardEntry, SlotsStore } from '@course/monolith/slots/use-cases';
import { HttpError } from '@course/service-kit';
import { describe, expect, it } from 'vitest';
import { leaderboardRanks } from '../src/slots/leaderboard-ranks.ts';

const [FIRST, SECOND, THIRD, OFF_BOARD] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];

/** A store whose leaderboard is FIRST, SECOND, THIRD; nothing else of it is used. */
function storeWithBoard(): SlotsStore & { asked: number[] } {
  const board: LeaderboardEntry[] = [FIRST, SECOND, THIRD].map((userId, i) => ({
    rank: i + 1,
    userId,
    username: `player${i + 1}`,
    balance: 300 - i,
  }));
  const unused = () => Promise.reject(new Error('not used by leaderboardRanks'));
  const asked: number[] = [];
  return {
    asked,
    topWallets: async (limit) => {
      asked.push(limit);
      return board.slice(0, limit);
    },
    ensureWallet: unused,
    readBalance: unused,
    findSpinByKey: unused,
    settleSpin: unused,
    listSpins: unused,
  };
}

function refusal(promise: Promise<unknown>): Promise<HttpError> {
  return rejectionOf(promise, HttpError);
}

describe('leaderboardRanks', () => {
  it('gives the places of the wanted players who are on the leaderboard, in its order', async () => {
    const store = storeWithBoard();

    const answer = await leaderboardRanks(store, { players: `${OFF_BOARD},${THIRD},${FIRST}` });

    expect(answer).toEqual({
      ranks: [
        { userId: FIRST, rank: 1 },
        { userId: THIRD, rank: 3 },
      ],
    });
    expect(store.asked).toEqual([10]);
  });

  it('takes the players as an array (an Invoke event) as well as a comma list', async () => {
    const store = storeWithBoard();

    const fromArray = await leaderboardRanks(store, { players: [SECOND, OFF_BOARD] });
    const fromList = await leaderboardRanks(store, { players: `${SECOND},${OFF_BOARD}` });

    expect(fromArray).toEqual({ ranks: [{ userId: SECOND, rank: 2 }] });
    expect(fromList).toEqual(fromArray);
  });

  it.each([
    ['no players', undefined],
    ['an empty list', ''],
    ['an empty array', []],
    ['a malformed id', 'not-a-uuid'],
    ['a malformed id in an array', [FIRST, 'not-a-uuid']],
    ['more than a page of players', Array(101).fill(FIRST).join(',')],
    ['a number', 42],
    ['an array of numbers', [1, 2]],
  ])('refuses %s with a 400 naming the field', async (_, players) => {
    const error = await refusal(leaderboardRanks(storeWithBoard(), { players }));

    expect(error.status).toBe(400);
    expect(error.errors?.[0]?.path).toMatch(/^players/);
  });
});

describe('@course/containers/slots/leaderboard-ranks', () => {
  it('bundles without express or helmet, so a Lambda function can use it', async () => {
    const graph = await importGraph(
      '@course/containers/slots/leaderboard-ranks',
      import.meta.dirname,
    );

    expect(
      graph.some((file) => file.endsWith('02-containers/src/slots/leaderboard-ranks.ts')),
    ).toBe(true);
    expect(filesOfPackages(graph, ['express', 'helmet'])).toEqual([]);
  });
});
