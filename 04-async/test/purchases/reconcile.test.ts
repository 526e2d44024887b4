import { beforeEach, describe, expect, it } from 'vitest';
import {
  type ExecutionState,
  reconcilePurchases,
  type SagaExecutions,
  STUCK_AFTER_MS,
} from '../../src/purchases/reconcile.ts';
import {
  PURCHASE_METRICS,
  PURCHASE_METRICS_NAMESPACE,
  purchaseMetricsLine,
} from '../../src/purchases/reconcile-metrics.ts';
import { readPurchase } from '../../src/purchases/record.ts';
import { debit } from '../../src/purchases/steps.ts';
import { silentLog, slotsDatabaseForThisFile } from '../slots/support.ts';
import { playerWithWallet, purchaseOf, stepDeps } from './support.ts';

/*
 * The reconciler on a real database, with Step Functions behind its port: a fake that answers
 * DescribeExecution per purchase as each test tells it (no answer: ExecutionDoesNotExist).
 */

const database = slotsDatabaseForThisFile('slots_purchase_reconcile_test');

function fakeExecutions(answers: Record<string, ExecutionState | Error>) {
  const asked: string[] = [];
  const executions: SagaExecutions = {
    async describe(purchaseId) {
      asked.push(purchaseId);
      const answer = answers[purchaseId];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { executions, asked };
}

/** A running purchase of a new player, started longer ago than the reconciler waits. */
async function stuckPurchase({ debited = false, key }: { debited?: boolean; key?: string } = {}) {
  const { db } = database;
  const player = await playerWithWallet(db, 1000);
  const purchase = await purchaseOf(db, player);
  if (debited) await debit(stepDeps(db).deps, purchase.id);
  await db.purchase.update({
    where: { id: purchase.id },
    data: {
      createdAt: new Date(Date.now() - STUCK_AFTER_MS - 60_000),
      ...(key ? { idempotencyKey: key } : {}),
    },
  });
  return purchase;
}

const reconcile = (executions: SagaExecutions) =>
  reconcilePurchases({ db: database.db, executions, log: silentLog });

async function recorded(id: string) {
  const purchase = await readPurchase(database.db, id);
  if (!purchase) throw new Error(`no purchase ${id}`);
  return purchase;
}

beforeEach(async () => {
  await database.db.purchase.deleteMany();
});

describe('the purchase reconciler', () => {
  it('closes a purchase with no execution failed, "never started", and releases its key', async () => {
    const purchase = await stuckPurchase({ key: 'k-never' });
    const { executions } = fakeExecutions({});

    const report = await reconcile(executions);

    expect(report).toMatchObject({ neverStarted: 1, failed: 0, leftRunning: 0 });
    expect(await recorded(purchase.id)).toMatchObject({
      status: 'failed',
      reason: 'The purchase never started; nothing was taken.',
      idempotencyKey: null,
    });
  });

  it('closes the purchase of a failed execution failed with its error and cause, and says the credits are held', async () => {
    const purchase = await stuckPurchase({ debited: true });
    // The compensation's last attempt, as the refund step records it.
    await database.db.purchaseStep.create({
      data: { purchaseId: purchase.id, step: 'refund', attempt: 1, status: 'failed' },
    });
    const { executions } = fakeExecutions({
      [purchase.id]: { status: 'FAILED', error: 'Lambda.Unknown', cause: 'Runtime.ExitError' },
    });

    const report = await reconcile(executions);

    expect(report).toMatchObject({
      failed: 1,
      metrics: { StuckPurchases: 0, PurchasesHoldingCredits: 1 },
    });
    const record = await recorded(purchase.id);
    expect(record.status).toBe('failed');
    expect(record.reason).toBe(
      'CompensationFailed at refund; the 100 credits are held until an operator returns them. ' +
        'Lambda.Unknown: Runtime.ExitError',
    );
  });

  it('closes the purchases of timed-out and aborted executions failed, with nothing taken when nothing was debited', async () => {
    const timedOut = await stuckPurchase();
    const aborted = await stuckPurchase();
    const { executions } = fakeExecutions({
      [timedOut.id]: { status: 'TIMED_OUT' },
      [aborted.id]: { status: 'ABORTED', error: 'Operator', cause: 'stopped by hand' },
    });

    const report = await reconcile(executions);

    expect(report).toMatchObject({ failed: 2, metrics: { PurchasesHoldingCredits: 0 } });
    expect((await recorded(timedOut.id)).reason).toBe(
      'The purchase stopped (TIMED_OUT); no credits were taken.',
    );
    expect((await recorded(aborted.id)).reason).toBe(
      'The purchase stopped (ABORTED); no credits were taken. Operator: stopped by hand',
    );
  });

  it('completes the purchase of a succeeded execution (the complete step’s write was lost)', async () => {
    const purchase = await stuckPurchase({ debited: true });
    const { executions } = fakeExecutions({ [purchase.id]: { status: 'SUCCEEDED' } });

    const report = await reconcile(executions);

    expect(report).toMatchObject({ completed: 1 });
    expect(await recorded(purchase.id)).toMatchObject({ status: 'completed', reason: null });
  });

  it('leaves a running execution alone (its compensation is retrying) and counts it stuck', async () => {
    const running = await stuckPurchase({ debited: true });
    const redriving = await stuckPurchase({ debited: true });
    const { executions } = fakeExecutions({
      [running.id]: { status: 'RUNNING' },
      [redriving.id]: { status: 'PENDING_REDRIVE' },
    });

    const report = await reconcile(executions);

    expect(report).toMatchObject({
      leftRunning: 2,
      metrics: { StuckPurchases: 2, PurchasesHoldingCredits: 0 },
    });
    expect((await recorded(running.id)).status).toBe('running');
    expect((await recorded(redriving.id)).status).toBe('running');
  });

  it('asks nothing about a purchase younger than the threshold', async () => {
    const player = await playerWithWallet(database.db, 1000);
    const young = await purchaseOf(database.db, player);
    const { executions, asked } = fakeExecutions({});

    const report = await reconcile(executions);

    expect(asked).toEqual([]);
    expect(report.metrics.StuckPurchases).toBe(0);
    expect((await recorded(young.id)).status).toBe('running');
  });

  it('leaves a purchase running when Step Functions cannot be asked, counts it stuck, and goes on with the others', async () => {
    const unreachable = await stuckPurchase();
    const succeeded = await stuckPurchase({ debited: true });
    const { executions } = fakeExecutions({
      [unreachable.id]: new Error('ThrottlingException'),
      [succeeded.id]: { status: 'SUCCEEDED' },
    });

    const report = await reconcile(executions);

    expect(report).toMatchObject({ unknown: 1, completed: 1, metrics: { StuckPurchases: 1 } });
    expect((await recorded(unreachable.id)).status).toBe('running');
  });

  it('never closes a debited purchase as never started, even when no execution is found', async () => {
    const purchase = await stuckPurchase({ debited: true });
    const { executions } = fakeExecutions({});

    const report = await reconcile(executions);

    expect(report.neverStarted).toBe(0);
    expect((await recorded(purchase.id)).status).toBe('running');
    expect(report.metrics.StuckPurchases).toBe(1);
  });
});

describe("the reconciler's metrics", () => {
  it('writes one EMF line: both counts under Course/Purchases, by FunctionName', () => {
    const time = new Date('2025-01-01T00:00:00Z');

    const line = JSON.parse(
      purchaseMetricsLine(
        { StuckPurchases: 2, PurchasesHoldingCredits: 1 },
        { functionName: 'reconciler', time },
      ),
    );

    expect(PURCHASE_METRICS_NAMESPACE).toBe('Course/Purchases');
    expect(line).toEqual({
      _aws: {
        Timestamp: time.getTime(),
        CloudWatchMetrics: [
          {
            Namespace: 'Course/Purchases',
            Dimensions: [['FunctionName']],
            Metrics: [
              { Name: PURCHASE_METRICS.stuckPurchases, Unit: 'Count' },
              { Name: PURCHASE_METRICS.purchasesHoldingCredits, Unit: 'Count' },
            ],
          },
        ],
      },
      FunctionName: 'reconciler',
      StuckPurchases: 2,
      PurchasesHoldingCredits: 1,
    });
  });
});
