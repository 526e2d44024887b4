import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { createHarness, type Harness, type Player } from '@course/contract';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findTitle, type TitleId } from '../src/purchases/catalog.ts';
import { FORUM_TITLE_GRANTS_PATH, SAGA_FAILURES } from '../src/purchases/saga.ts';
import { outboxEvents } from './invariants.ts';
import { expectPurchasesConserveCredits } from './purchase-invariants.ts';
import {
  asyncStageForThisFile,
  type StepFaults,
  startSaga,
  waitUntilPurchasesEnded,
  warmUpPurchases,
} from './support.ts';

/*
 * The purchase saga's guarantees, one at a time, each under the fault that threatens it, on stage
 * 04 as `pnpm start 04` runs it: the state machine synthesized by the stage's CDK app, executed by
 * the local AWS runtime, its steps real functions over the real databases. The time scale shrinks
 * the retries' backoff (1 s → 0.1 s). Every proof ends with the purchase invariants: credits
 * conserved, no title without payment, no purchase half-done, the leaderboard equal to the wallets.
 */
const TIME_SCALE = 0.1;
const stage = asyncStageForThisFile({ localAws: { timeScale: TIME_SCALE } });
const h = (): Harness => createHarness(() => stage.url);
afterAll(async () => {
  if (process.env.STAGE_LOG) await writeFile(process.env.STAGE_LOG, stage.log.join('\n'));
});
afterEach(() => stage.clearFaults());

beforeAll(() => warmUpPurchases(stage), 90_000);

const LUCKY_SEVEN = title('lucky-seven');
const REEL_LEGEND = title('reel-legend');

function title(id: TitleId) {
  const found = findTitle(id);
  if (!found) throw new Error(`no title ${id} in the catalog`);
  return found;
}

async function buy(player: Player, titleId: TitleId): Promise<string> {
  const response = await h().send('createPurchase', { token: player.token, json: { titleId } });
  return h().expectStatus(response, 202).id;
}

/** The purchase as its owner reads it, once every saga has ended and the events have settled. */
async function ended(player: Player, id: string) {
  await waitUntilPurchasesEnded(stage, { deadlineMs: 45_000 });
  return h().expectStatus(
    await h().send('getPurchase', { token: player.token, params: { id } }),
    200,
  );
}

async function balanceOf(player: Player): Promise<number> {
  return h().expectStatus(await h().send('getWallet', { token: player.token }), 200).balance;
}

/** The step attempts of a purchase as `step:status`, oldest first. */
function attempts(purchase: { steps: { step: string; status: string }[] }): string[] {
  return purchase.steps.map((step) => `${step.step}:${step.status}`);
}

/** The execution of a purchase (named by its id) or of another name, by ARN. */
function executionArn(name: string): string {
  return stage.sagaArn.replace(':stateMachine:', ':execution:').concat(`:${name}`);
}

async function executionHistory(name: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await stage.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: executionArn(name), nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** The errors of a Task state's failed attempts, from the execution's history. */
async function taskFailures(name: string, stateName: string): Promise<string[]> {
  let state = '';
  const errors: string[] = [];
  for (const event of await executionHistory(name)) {
    if (event.type === 'TaskStateEntered') state = event.stateEnteredEventDetails?.name ?? '';
    if (event.type === 'TaskFailed' && state === stateName) {
      errors.push(event.taskFailedEventDetails?.error ?? '');
    }
  }
  return errors;
}

/** Whether the forum holds the purchase's title granted. */
async function titleGranted(purchaseId: string): Promise<boolean> {
  const rows = await stage.query<{ status: string }>(
    'forum',
    'SELECT status FROM title_grants WHERE purchase_id = $1::uuid',
    [purchaseId],
  );
  return rows[0]?.status === 'granted';
}

/** How many events of `type` the outbox holds for a purchase. */
async function creditEvents(purchaseId: string, type: 'CreditsSpent' | 'CreditsRefunded') {
  const events = await outboxEvents(stage);
  return events.filter((event) => event.type === type && event.data.purchaseId === purchaseId)
    .length;
}

/** Buys one title with faults on the steps, and reads the purchase once it has ended. */
async function buyUnder(faults: Partial<Record<'debit' | 'grant' | 'refund', StepFaults>>) {
  const player = await h().newPlayer();
  const before = await balanceOf(player);
  for (const [step, switches] of Object.entries(faults)) {
    stage.setStepFaults(step as keyof typeof faults, switches);
  }
  const id = await buy(player, LUCKY_SEVEN.id);
  const purchase = await ended(player, id);
  stage.clearFaults();
  return { player, before, id, purchase };
}

describe('the purchase saga under faults', () => {
  it('a grant failing twice is retried and the purchase completes', async () => {
    const { player, before, id, purchase } = await buyUnder({
      grant: { fail: { times: 2 } },
    });

    expect(purchase.status, JSON.stringify(purchase)).toBe('completed');
    // `fail` ends the invocation before the handler runs, so the record shows only the attempt
    // that ran (the third); the execution's history shows the two that failed.
    expect(attempts(purchase)).toEqual(['debit:succeeded', 'grant:succeeded']);
    expect(await taskFailures(id, 'Grant')).toEqual(['Runtime.ExitError', 'Runtime.ExitError']);
    expect(await titleGranted(id)).toBe(true);
    expect(await balanceOf(player)).toBe(before - LUCKY_SEVEN.price);
    await expectPurchasesConserveCredits(stage);
  });

  it('a grant failing for good is compensated: cancelGrant then refund, no title, the credits back', async () => {
    const { player, before, id, purchase } = await buyUnder({
      grant: { fail: { probability: 1 } },
    });

    expect(purchase.status, JSON.stringify(purchase)).toBe('refunded');
    expect(attempts(purchase)).toEqual([
      'debit:succeeded',
      'cancelGrant:succeeded',
      'refund:succeeded',
    ]);
    // The first try and its three retries.
    expect(await taskFailures(id, 'Grant')).toHaveLength(4);
    const execution = await stage.sfn.send(
      new DescribeExecutionCommand({ executionArn: executionArn(id) }),
    );
    expect(execution).toMatchObject({ status: 'FAILED', error: SAGA_FAILURES.refunded });
    expect(await titleGranted(id)).toBe(false);
    expect(await balanceOf(player)).toBe(before);
    await expectPurchasesConserveCredits(stage);
  });

  it("a crash after the debit's effect debits once", async () => {
    const { player, before, id, purchase } = await buyUnder({
      debit: { crashAfterEffect: { times: 1 } },
    });

    expect(purchase.status, JSON.stringify(purchase)).toBe('completed');
    // The crash came after the handler: both debit attempts ran, the second found it done.
    expect(attempts(purchase)).toEqual(['debit:succeeded', 'debit:succeeded', 'grant:succeeded']);
    expect(await creditEvents(id, 'CreditsSpent')).toBe(1);
    expect(await balanceOf(player)).toBe(before - LUCKY_SEVEN.price);
    await expectPurchasesConserveCredits(stage);
  });

  it("a crash after the grant's effect grants once and completes", async () => {
    const { player, before, purchase } = await buyUnder({
      grant: { crashAfterEffect: { times: 1 } },
    });

    expect(purchase.status, JSON.stringify(purchase)).toBe('completed');
    expect(attempts(purchase)).toEqual(['debit:succeeded', 'grant:succeeded', 'grant:succeeded']);
    const grants = await stage.query<{ status: string }>(
      'forum',
      'SELECT status FROM title_grants WHERE user_id = $1::uuid',
      [player.id],
    );
    expect(grants).toEqual([{ status: 'granted' }]);
    expect(await balanceOf(player)).toBe(before - LUCKY_SEVEN.price);
    await expectPurchasesConserveCredits(stage);
  });

  it('a grant whose every answer is lost is revoked, then refunded', async () => {
    // Each grant attempt takes effect (the title granted, the record completed), then its answer
    // is lost: the saga cannot know, compensates, and must leave no title and all the credits.
    const { player, before, id, purchase } = await buyUnder({
      grant: { crashAfterEffect: { probability: 1 } },
    });

    expect(purchase.status, JSON.stringify(purchase)).toBe('refunded');
    expect(await titleGranted(id)).toBe(false);
    expect(await balanceOf(player)).toBe(before);
    await expectPurchasesConserveCredits(stage);
  });

  it("a crash after the refund's effect refunds once", async () => {
    const { player, before, id, purchase } = await buyUnder({
      grant: { fail: { probability: 1 } },
      refund: { crashAfterEffect: { times: 1 } },
    });

    expect(purchase.status, JSON.stringify(purchase)).toBe('refunded');
    expect(attempts(purchase).filter((attempt) => attempt.startsWith('refund'))).toEqual([
      'refund:succeeded',
      'refund:succeeded',
    ]);
    expect(await creditEvents(id, 'CreditsRefunded')).toBe(1);
    expect(await balanceOf(player)).toBe(before);
    await expectPurchasesConserveCredits(stage);
  });

  it('two purchases of one title at once: one completes, the other is refunded', async () => {
    const player = await h().newPlayer();
    const before = await balanceOf(player);

    const ids = await Promise.all([buy(player, LUCKY_SEVEN.id), buy(player, LUCKY_SEVEN.id)]);
    const purchases = await Promise.all(ids.map((id) => ended(player, id)));

    expect(purchases.map((purchase) => purchase.status).sort()).toEqual(['completed', 'refunded']);
    expect(await balanceOf(player)).toBe(before - LUCKY_SEVEN.price);
    await expectPurchasesConserveCredits(stage);
  });
});

describe('replaying an execution', () => {
  it('applies nothing again to a completed, a refunded or a rejected purchase', async () => {
    // Arrange: one purchase of each ending.
    const completed = await buyUnder({});
    const refunded = await buyUnder({ grant: { fail: { probability: 1 } } });
    const poor = await h().newPlayer();
    const rejectedId = await buy(poor, REEL_LEGEND.id);
    const rejected = await ended(poor, rejectedId);
    expect([completed, refunded].map((run) => run.purchase.status)).toEqual([
      'completed',
      'refunded',
    ]);
    expect(rejected.status).toBe('rejected');
    const snapshot = async () => ({
      balances: await Promise.all(
        [completed.player, refunded.player, poor].map((player) => balanceOf(player)),
      ),
      grants: await stage.query('forum', 'SELECT * FROM title_grants ORDER BY purchase_id'),
      events: (await outboxEvents(stage)).map((event) => event.id),
      statuses: await stage.query('slots', 'SELECT id, status FROM purchases ORDER BY id'),
    });
    const before = await snapshot();

    // Act: each purchase's saga again, as a new execution with the same input.
    const ids = [completed.id, refunded.id, rejectedId];
    for (const purchaseId of ids) {
      await startSaga(stage, purchaseId, `replay-${randomUUID()}`);
    }
    await waitUntilPurchasesEnded(stage, { deadlineMs: 45_000 });

    // Assert: nothing moved, and the purchase's own name is refused rather than run twice.
    expect(await snapshot()).toEqual(before);
    for (const purchaseId of ids) {
      await expect(startSaga(stage, purchaseId)).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    }
    await expectPurchasesConserveCredits(stage);
  });
});

describe('replaying an execution while the grant fails', () => {
  it('leaves a completed purchase completed, its title granted and its credits spent', async () => {
    const { player, before, id, purchase } = await buyUnder({});
    expect(purchase.status).toBe('completed');

    stage.setStepFaults('grant', { fail: { probability: 1 } });
    await startSaga(stage, id, `replay-${randomUUID()}`);
    await waitUntilPurchasesEnded(stage, { deadlineMs: 45_000 });

    const after = h().expectStatus(
      await h().send('getPurchase', { token: player.token, params: { id } }),
      200,
    );
    expect(after.status, JSON.stringify(after)).toBe('completed');
    expect(await titleGranted(id)).toBe(true);
    expect(await balanceOf(player)).toBe(before - LUCKY_SEVEN.price);
    await expectPurchasesConserveCredits(stage);
  });
});

describe('the internal title route', () => {
  it('is not served by the public gateway', async () => {
    const purchaseId = randomUUID();

    const response = await fetch(new URL(`${FORUM_TITLE_GRANTS_PATH}/${purchaseId}`, stage.url), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: randomUUID(), username: 'mallory', titleId: 'reel-legend' }),
    });

    expect(response.status).toBe(404);
    expect(
      await stage.query('forum', 'SELECT 1 FROM title_grants WHERE purchase_id = $1::uuid', [
        purchaseId,
      ]),
    ).toEqual([]);
  });
});
