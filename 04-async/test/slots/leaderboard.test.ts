import { type DomainEvent, messageAttributesOf } from '@course/contract/events';
import { lambdaContext } from '@course/serverless/test/events';
import type { SQSBatchResponse } from 'aws-lambda';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyEvent, readLeaderboard } from '../../src/slots/leaderboard.ts';
import { leaderboardProjector } from '../../src/slots/projector.ts';
import { silentLog, slotsDatabaseForThisFile, sqsRecord } from './support.ts';

/*
 * The leaderboard read model on a real database: whatever SQS does to a player's events
 * (duplicates, any order), the projection ends as the newest event says.
 */

const database = slotsDatabaseForThisFile('slots_leaderboard_test');

beforeEach(async () => {
  await database.db.leaderboardEntry.deleteMany();
});

function walletEvent(
  playerId: string,
  username: string,
  sequence: number,
  balance: number,
  time = new Date(Date.UTC(2026, 11, 6, 12, 0, sequence)),
): DomainEvent {
  return {
    id: crypto.randomUUID(),
    type: 'WalletOpened',
    version: 1,
    source: 'slots',
    time: time.toISOString(),
    traceId: `trace-${sequence}`,
    data: { playerId, username, balance, sequence },
  };
}

function spinEvent(
  playerId: string,
  username: string,
  sequence: number,
  balance: number,
): DomainEvent {
  return {
    id: crypto.randomUUID(),
    type: 'SpinSettled',
    version: 1,
    source: 'slots',
    time: new Date(Date.UTC(2026, 11, 6, 12, 0, sequence)).toISOString(),
    traceId: `trace-${sequence}`,
    data: {
      playerId,
      username,
      sequence,
      balance,
      spinId: crypto.randomUUID(),
      bet: 1,
      payout: 0,
      reels: ['bell', 'seven', 'star'],
    },
  };
}

/** Some players' histories: each a WalletOpened then spins, sequences increasing across all. */
const histories = fc
  .array(fc.array(fc.nat({ max: 5_000 }), { minLength: 1, maxLength: 6 }), {
    minLength: 1,
    maxLength: 3,
  })
  .map((balancesPerPlayer) => {
    let sequence = 0;
    return balancesPerPlayer.map((balances, p) => {
      const playerId = crypto.randomUUID();
      return balances.map((balance, i) => {
        sequence += 1 + (p % 2); // gaps, as other players' events interleave in the outbox
        return i === 0
          ? walletEvent(playerId, `player${p}`, sequence, balance)
          : spinEvent(playerId, `player${p}`, sequence, balance);
      });
    });
  });

describe('the leaderboard projection', () => {
  it("ends as each player's newest event says, whatever the duplicates and the order of delivery", async () => {
    await fc.assert(
      fc.asyncProperty(
        histories.chain((players) =>
          fc.record({
            players: fc.constant(players),
            // Every event at least once, some again; then any order.
            deliveries: fc
              .tuple(fc.constant(players.flat()), fc.subarray(players.flat()))
              .chain(([all, again]) =>
                fc.shuffledSubarray([...all, ...again], {
                  minLength: all.length + again.length,
                }),
              ),
          }),
        ),
        async ({ players, deliveries }) => {
          await database.db.leaderboardEntry.deleteMany();

          for (const event of deliveries) await applyEvent(database.db, event);

          const rows = await database.db.leaderboardEntry.findMany();
          const expected = players.map((events) => {
            const newest = events[events.length - 1];
            if (!newest) throw new Error('a history has at least one event');
            return {
              playerId: newest.data.playerId,
              username: newest.data.username,
              balance: newest.data.balance,
              sequence: BigInt(newest.data.sequence),
              eventTime: new Date(newest.time),
            };
          });
          expect(rows.sort(byPlayer)).toEqual(expected.sort(byPlayer));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('says whether an event changed the row: the newer one does, its duplicate and an older one do not', async () => {
    const playerId = crypto.randomUUID();
    const older = walletEvent(playerId, 'dora', 1, 1000);
    const newer = spinEvent(playerId, 'dora', 2, 995);

    const applied = [
      await applyEvent(database.db, newer),
      await applyEvent(database.db, newer),
      await applyEvent(database.db, older),
    ];

    expect(applied).toEqual([true, false, false]);
  });
});

describe('the leaderboard read', () => {
  it('ranks the top ten richest first, ties by username, as of the newest event of any player', async () => {
    // Twelve players; the newest event is the poorest player's, below the top ten.
    const balances = [50, 900, 900, 10, 700, 600, 500, 400, 300, 200, 100, 5];
    for (const [i, balance] of balances.entries()) {
      await applyEvent(
        database.db,
        walletEvent(crypto.randomUUID(), `p${String(i).padStart(2, '0')}`, i + 1, balance),
      );
    }

    const leaderboard = await readLeaderboard(database.db);

    expect(
      leaderboard.items.map(({ rank, username, balance }) => [rank, username, balance]),
    ).toEqual([
      [1, 'p01', 900],
      [2, 'p02', 900],
      [3, 'p04', 700],
      [4, 'p05', 600],
      [5, 'p06', 500],
      [6, 'p07', 400],
      [7, 'p08', 300],
      [8, 'p09', 200],
      [9, 'p10', 100],
      [10, 'p00', 50],
    ]);
    expect(leaderboard.asOf).toBe(new Date(Date.UTC(2026, 11, 6, 12, 0, 12)).toISOString());
  });

  it('has no asOf while it reflects no event', async () => {
    const leaderboard = await readLeaderboard(database.db);

    expect(leaderboard).toEqual({ items: [] });
  });
});

function byPlayer(a: { playerId: string }, b: { playerId: string }): number {
  return a.playerId.localeCompare(b.playerId);
}

describe('the leaderboard projector', () => {
  const project = async (records: ReturnType<typeof sqsRecord>[]) =>
    (await leaderboardProjector({ db: database.db, log: silentLog })(
      { Records: records },
      lambdaContext(),
      () => {},
    )) as SQSBatchResponse;

  it('applies the events of a batch and reports the records that failed, by message id', async () => {
    const playerId = crypto.randomUUID();
    const event = walletEvent(playerId, 'ada', 7, 1234);
    const attributes = Object.fromEntries(
      Object.entries(messageAttributesOf(event)).map(([name, value]) => [name, value.StringValue]),
    );
    const good = sqsRecord(JSON.stringify(event), attributes);
    const poison = sqsRecord('not json');

    const response = await project([poison, good]);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poison.messageId }]);
    const row = await database.db.leaderboardEntry.findUnique({ where: { playerId } });
    expect(row).toMatchObject({ balance: 1234, sequence: 7n });
  });

  it('reports a batch where every record failed record by record, not as an error (as the audit recorder does)', async () => {
    const records = [sqsRecord('not json'), sqsRecord('{}')];

    const response = await project(records);

    expect(response.batchItemFailures).toEqual(
      records.map((record) => ({ itemIdentifier: record.messageId })),
    );
  });
});
