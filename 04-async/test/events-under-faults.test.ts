import { writeFile } from 'node:fs/promises';
import type { FaultSwitches } from '@course/aws-local';
import { createHarness, type Harness, type Player } from '@course/contract';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectEveryEffectExactlyOnce, outboxEvents } from './invariants.ts';
import { asyncStageForThisFile, waitUntilSettled } from './support.ts';

/*
 * The pipeline's invariants under at-least-once delivery, on stage 04 as `pnpm start 04` runs it
 * (its CDK app in the local AWS runtime), with the runtime's fault switches on and its time
 * scale shrunk: a minute's schedule runs every 6 s, a visibility timeout of 60 s lasts 6 s.
 * Random spin sequences — players, bets, some spins at once — then, once the pipeline has
 * settled, every consumer's effect is exactly what the outbox says happened.
 */
const TIME_SCALE = 0.1;
const stage = asyncStageForThisFile({ localAws: { timeScale: TIME_SCALE } });
const h = (): Harness => createHarness(() => stage.url);
afterAll(async () => {
  if (process.env.STAGE_LOG) await writeFile(process.env.STAGE_LOG, stage.log.join('\n'));
});

const PLAYERS = 4;
let players: Player[] = [];
/** Every spin this file made that was settled. */
const spinsMade: SettledSpin[] = [];
beforeAll(async () => {
  players = await Promise.all(Array.from({ length: PLAYERS }, () => h().newPlayer()));
  // An environment of the write function for each spin at once, warm before the runs.
  spinsMade.push(
    ...(await spin(
      players.map((_, player) => ({ player, bet: 1 })),
      PLAYERS,
    )),
  );
}, 60_000);

interface SettledSpin {
  id: string;
  bet: number;
  payout: number;
  balance: number;
}

/**
 * Spins in rounds of `concurrency` at once; returns the settled ones. A refusal (409) writes no
 * event. The time scale shrinks API Gateway's 30 s integration timeout to 3 s, which a cold start
 * on a busy machine can exceed: such a spin is answered 503 "did not finish in time" and may or
 * may not have settled — either way the invariants compare every effect with the outbox.
 */
async function spin(
  plan: { player: number; bet: number }[],
  concurrency: number,
): Promise<SettledSpin[]> {
  const settled: SettledSpin[] = [];
  for (let start = 0; start < plan.length; start += concurrency) {
    const round = await Promise.all(
      plan
        .slice(start, start + concurrency)
        .map(({ player, bet }) =>
          h().send('createSpin', { token: players[player]?.token, json: { bet } }),
        ),
    );
    for (const response of round) {
      if (response.status === 503) {
        h().expectProblem(response, 503, 'about:blank');
        expect(response.text).toContain('did not finish in time');
        continue;
      }
      expect([201, 409], `${response.status} ${response.text}`).toContain(response.status);
      if (response.status === 201) settled.push(h().expectStatus(response, 201));
    }
  }
  return settled;
}

/** How a consumer's queue misbehaves in one run: each adds at most one receive per message. */
const redelivery = fc.constantFrom<FaultSwitches>(
  {},
  { duplicate: 0.5 },
  { crashBeforeDelete: 'once' },
  { expireVisibility: true },
);
const queueFaults = fc.record({ redelivery, reorder: fc.boolean() });

/**
 * How publishing goes wrong: not at all; SNS refusing half the relay's calls while the spins run
 * (the sweeper publishes the rest); or published events left unmarked (a relay that died between
 * its publish and its mark), which the sweeper publishes a second time.
 */
const publishing = fc.constantFrom('ok', 'refused', 'unmarked' as const);

describe('events under delivery faults', () => {
  it('leaves the leaderboard equal to the wallets, each event audited once, one post per big win, no dead letters', async () => {
    const { maxBet } = h().expectStatus(await h().send('getMachine'), 200);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            player: fc.nat(PLAYERS - 1),
            bet: fc.integer({ min: 1, max: Math.min(maxBet, 10) }),
          }),
          { minLength: 5, maxLength: 30 },
        ),
        fc.integer({ min: 1, max: 4 }),
        fc.record({ leaderboard: queueFaults, audit: queueFaults }),
        publishing,
        async (plan, concurrency, faults, publish) => {
          // Arrange: the switches for this run (the jackpot queue is polled by the forum
          // service, not by a mapping: the switches of mappings do not reach it).
          for (const name of ['leaderboard', 'audit'] as const) {
            stage.setFaults(name, { ...faults[name].redelivery, reorder: faults[name].reorder });
          }
          stage.setFaults('topic', publish === 'refused' ? { refusePublish: 0.5 } : {});

          // Act
          spinsMade.push(...(await spin(plan, concurrency)));
          stage.setFaults('topic', {});
          if (publish === 'unmarked') {
            // Published long enough ago for the sweeper to take them at its next run; big wins
            // first, so that the forum's queue gets duplicates too.
            await stage.query(
              'slots',
              `UPDATE outbox SET published_at = NULL, created_at = created_at - interval '10 s'
               WHERE position IN (
                 SELECT position FROM outbox
                 ORDER BY (event->'data'->>'payout')::int >= 10 * (event->'data'->>'bet')::int
                          DESC NULLS LAST, random()
                 LIMIT 5)`,
            );
          }
          await waitUntilSettled(stage, { deadlineMs: 45_000 });
          stage.clearFaults();

          // Assert: every spin answered has its one event, saying what the answer said, and
          // every effect follows the outbox.
          const events = await outboxEvents(stage);
          const bySpin = new Map(
            events.flatMap((e) => (e.type === 'SpinSettled' ? [[e.data.spinId, e.data]] : [])),
          );
          for (const made of spinsMade) {
            expect(bySpin.get(made.id)).toMatchObject({
              bet: made.bet,
              payout: made.payout,
              balance: made.balance,
            });
          }
          await expectEveryEffectExactlyOnce(stage);
        },
      ),
      { numRuns: 5, endOnFailure: true },
    );
  }, 150_000);
});
