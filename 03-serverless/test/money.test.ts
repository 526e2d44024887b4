import stage02 from '@course/containers/stage';
import { createHarness, type Harness, type Player } from '@course/contract';
import { databaseUrlVariable, startTestDatabase, type TestDatabase } from '@course/local';
import { afterAll, describe, expect, it } from 'vitest';
import { stageForThisFile } from './support.ts';

/*
 * Money is conserved under concurrent spins through the HTTP API and the write function, on a
 * real PostgreSQL server: every execution environment has its own connection, so concurrent
 * spins really run in parallel transactions. (Embedded Postgres runs one transaction at a time
 * and can never show a lost update, so without TEST_POSTGRES_URL this file is skipped.)
 */

const serverUrl = process.env.TEST_POSTGRES_URL;
let slotsDatabase: TestDatabase | undefined;

describe.skipIf(!serverUrl)('spins through the HTTP API on real PostgreSQL', () => {
  // The slots database on the real server (the runner migrates it); users and forum embedded.
  const env: Record<string, string> = {};
  const stage = stageForThisFile({
    env,
    beforeStart: async () => {
      const slots = stage02.databases.find((candidate) => candidate.name === 'slots');
      if (!slots) throw new Error('stage 02 has no slots database');
      slotsDatabase = await startTestDatabase({ ...slots, name: 'slots_money_test' });
      env[databaseUrlVariable('slots')] = slotsDatabase.url;
    },
  });
  afterAll(() => slotsDatabase?.stop());

  const h = (): Harness => createHarness(() => stage.url);
  const balanceOf = async (player: Player) =>
    h().expectStatus(await h().send('getWallet', { token: player.token }), 200).balance;

  it('never overdraws a wallet and never loses or invents credits across rounds of concurrent spins', async () => {
    // Arrange: five players, each about to fire rounds of 20 maximum bets at once — twice what a
    // wallet holds. Wins can keep a wallet going for a while (the paytable's return is 37/39,
    // with jackpots), so the rounds go on until some spin has been refused: a lost update would
    // let every spin through. A round of 100 requests stays within the HTTP API's burst limit.
    const machine = h().expectStatus(await h().send('getMachine'), 200);
    const players = await Promise.all(Array.from({ length: 5 }, () => h().newPlayer()));
    const start = await Promise.all(players.map(balanceOf));
    const spinRound = () =>
      Promise.all(
        players.flatMap((player) =>
          Array.from({ length: 20 }, async () => {
            const response = await h().send('createSpin', {
              token: player.token,
              json: { bet: machine.maxBet },
            });
            return { player, response };
          }),
        ),
      );

    // Act: at most 10 rounds (all five wallets surviving 200 maximum bets: about 1 in 20,000).
    const results: Awaited<ReturnType<typeof spinRound>> = [];
    for (let round = 0; round < 10 && !results.some((r) => r.response.status === 409); round++) {
      results.push(...(await spinRound()));
    }

    // Assert: each answer a settled spin or a clean 409, some refused, and every wallet adds up.
    expect(
      results.map((r) => r.response.status).filter((status) => status !== 201 && status !== 409),
    ).toEqual([]);
    expect(results.some((r) => r.response.status === 409)).toBe(true);
    for (const [i, player] of players.entries()) {
      const settled = results.flatMap(({ player: who, response }) =>
        who === player && response.status === 201
          ? [response.body as { bet: number; payout: number; balance: number }]
          : [],
      );
      const expected = (start[i] ?? 0) - settled.reduce((sum, s) => sum + s.bet - s.payout, 0);
      expect(await balanceOf(player), 'credits were lost or invented').toBe(expected);
      expect(expected).toBeGreaterThanOrEqual(0);
      expect(settled.every((s) => s.balance >= 0)).toBe(true);
    }
  });
});
