import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import { createHarness, type Harness, type Player } from '@course/contract';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TITLES, type TitleId } from '../src/purchases/catalog.ts';
import { outboxEvents } from './invariants.ts';
import { expectPurchasesConserveCredits } from './purchase-invariants.ts';
import {
  asyncStageForThisFile,
  type SagaStep,
  type StepFaults,
  startSaga,
  waitUntilPurchasesEnded,
  warmUpPurchases,
} from './support.ts';

/*
 * The purchase saga's invariants under faults at every step, on stage 04 as `pnpm start 04` runs
 * it (its CDK app's state machine executed by the local AWS runtime), its time scale shrunk so
 * that the retries' backoff runs 10× as fast. Random purchases by a few players — some at once,
 * some of a title the player already owns (refused by the forum: refunded), some beyond the
 * wallet (rejected), spins mixed in — with each step's function failing before its handler, or
 * losing its answer after its effect. Once every execution has ended and the events have settled,
 * and again after replaying some of the executions: credits are conserved, no title exists
 * without payment, no purchase is half-done, and the leaderboard equals the wallets.
 */
const TIME_SCALE = 0.1;
const stage = asyncStageForThisFile({ localAws: { timeScale: TIME_SCALE } });
const h = (): Harness => createHarness(() => stage.url);
afterAll(async () => {
  if (process.env.STAGE_LOG) await writeFile(process.env.STAGE_LOG, stage.log.join('\n'));
});
beforeAll(() => warmUpPurchases(stage), 90_000);

const PLAYERS = 3;
const STEPS: readonly SagaStep[] = ['debit', 'grant', 'cancelGrant', 'refund'];

/**
 * How one step's function misbehaves in a run. A counted fault is spent by whichever purchase
 * invokes the function next; a probability applies to every invocation. No step but the grant
 * fails for good: a compensation that fails for good is the one end the saga leaves to an
 * operator (CompensationFailed), and a debit that does is a refund of nothing.
 */
const TRANSIENT_FAULTS: StepFaults[] = [
  {},
  { fail: { times: 1 } },
  { fail: { times: 2 } },
  { crashAfterEffect: { times: 1 } },
  { crashAfterEffect: { probability: 0.5 } },
];
const stepFault = fc.constantFrom(...TRANSIENT_FAULTS);
const grantFault = fc.constantFrom(...TRANSIENT_FAULTS, { fail: { probability: 1 } });
const faults = fc.record<Record<SagaStep, StepFaults>>({
  debit: stepFault,
  grant: grantFault,
  cancelGrant: stepFault,
  refund: stepFault,
});

type Action = { player: number } & ({ buy: TitleId } | { spin: number });
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      player: fc.nat(PLAYERS - 1),
      buy: fc.constantFrom(...TITLES.map((t) => t.id)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ player: fc.nat(PLAYERS - 1), spin: fc.integer({ min: 1, max: 10 }) }),
  },
);

/**
 * Runs the actions in rounds of `concurrency` at once; returns the ids of the purchases started.
 * A purchase is answered 202, or 503 when its saga could not be started in time (the record then
 * says failed, nothing taken: the invariants check that too). A spin is settled (201), refused
 * for want of credits (409), or did not finish within the shrunk gateway timeout (503).
 */
async function perform(players: Player[], plan: Action[], concurrency: number): Promise<string[]> {
  const started: string[] = [];
  for (let start = 0; start < plan.length; start += concurrency) {
    await Promise.all(
      plan.slice(start, start + concurrency).map(async (next) => {
        const token = players[next.player]?.token;
        if ('buy' in next) {
          const response = await h().send('createPurchase', { token, json: { titleId: next.buy } });
          expect([202, 503], `${response.status} ${response.text}`).toContain(response.status);
          if (response.status === 202) started.push(h().expectStatus(response, 202).id);
        } else {
          const response = await h().send('createSpin', { token, json: { bet: next.spin } });
          expect([201, 409, 503], `${response.status} ${response.text}`).toContain(response.status);
        }
      }),
    );
  }
  return started;
}

/** What a replay must leave unchanged: the wallets, the grants, the events, the purchases. */
async function snapshot() {
  return {
    wallets: await stage.query('slots', 'SELECT user_id, balance FROM wallets ORDER BY user_id'),
    grants: await stage.query(
      'forum',
      'SELECT purchase_id, status, granted_at FROM title_grants ORDER BY purchase_id',
    ),
    events: (await outboxEvents(stage)).map((event) => event.id),
    purchases: await stage.query(
      'slots',
      'SELECT id, status, debited_at, refunded_at FROM purchases ORDER BY id',
    ),
  };
}

describe('purchases under step faults', () => {
  it('conserve credits, grant no title without payment, leave no purchase half-done, and replays apply nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { minLength: 3, maxLength: 10 }),
        fc.integer({ min: 1, max: 3 }),
        faults,
        async (plan, concurrency, runFaults) => {
          // Arrange: fresh players (so that each run buys titles they do not own yet), and the
          // switches for this run.
          const players = await Promise.all(Array.from({ length: PLAYERS }, () => h().newPlayer()));
          for (const step of STEPS) stage.setStepFaults(step, runFaults[step]);

          // Act
          const purchases = await perform(players, plan, concurrency);
          await waitUntilPurchasesEnded(stage, { deadlineMs: 60_000 });

          // Assert
          await expectPurchasesConserveCredits(stage);

          // Act again: the first and the last purchase's sagas replayed as new executions, with
          // the same faults on, and started again under their own names.
          const replayed = [...new Set([purchases[0], purchases.at(-1)])].filter(
            (id): id is string => id !== undefined,
          );
          const before = await snapshot();
          for (const purchaseId of replayed) {
            await startSaga(stage, purchaseId, `replay-${randomUUID()}`);
          }
          await waitUntilPurchasesEnded(stage, { deadlineMs: 60_000 });
          stage.clearFaults();

          // Assert: nothing changed, and a purchase's own execution is never run twice.
          expect(await snapshot()).toEqual(before);
          for (const purchaseId of replayed) {
            await expect(startSaga(stage, purchaseId)).rejects.toBeInstanceOf(
              ExecutionAlreadyExists,
            );
          }
          await expectPurchasesConserveCredits(stage);
        },
      ),
      { numRuns: 5, endOnFailure: true },
    );
  }, 240_000);
});
