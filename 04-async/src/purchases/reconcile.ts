/*
 * The purchase reconciler: the one place every purchase stuck `running` passes through, whatever
 * stopped it. The steps write the record as the saga runs, but some ends reach no step: the
 * purchases function dies between the insert and StartExecution (no execution at all); every
 * attempt of a compensation fails before its handler runs, so the execution fails at that step;
 * a `States.Runtime` error, a StopExecution, or the complete step's write lost (the execution
 * succeeded). A scheduled function (functions/reconcile.ts) asks Step Functions what became of
 * each such purchase and writes it down; its metrics say what is left for a person.
 *
 * A use case with no AWS SDK in it: Step Functions is behind a port (SagaExecutions).
 */
import type { Logger } from '@course/service-kit/core';
import type { AsyncSlotsDatabase } from '../slots/database.ts';
import type { PurchaseMetrics } from './reconcile-metrics.ts';
import { abandonPurchase, type PurchaseRecord, readPurchase, setStatus } from './record.ts';
import { SAGA_FAILURES } from './saga.ts';

/** What the reconciler needs of Step Functions: what became of one purchase's execution. */
export interface SagaExecutions {
  /**
   * The execution named `purchaseId`, or undefined when there is none (ExecutionDoesNotExist).
   * Throws when Step Functions cannot be asked.
   */
  describe(purchaseId: string): Promise<ExecutionState | undefined>;
}

export interface ExecutionState {
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE (DescribeExecution's). */
  status: string;
  error?: string;
  cause?: string;
}

/**
 * How long a purchase may stay `running` before the reconciler asks about it. A healthy saga ends
 * in seconds (its forward retries give up after 7), and the purchases function starts the
 * execution within its 3-second deadline; ten minutes leaves both far behind, so a purchase still
 * running then has either no execution or one whose compensation is retrying (which it leaves
 * alone: those retries go on for up to an hour and a quarter).
 */
export const STUCK_AFTER_MS = 10 * 60_000;

/** Purchases examined per run, oldest first; any left over wait for the next run (and count as stuck). */
const BATCH_SIZE = 100;

/** Execution statuses that end an execution without the complete step. */
const STOPPED = ['FAILED', 'TIMED_OUT', 'ABORTED'];

export interface ReconcileDeps {
  db: AsyncSlotsDatabase;
  executions: SagaExecutions;
  log: Logger;
  clock?: () => Date;
}

export interface ReconcileReport {
  /** Purchases examined this run, by what was done with each. */
  completed: number;
  failed: number;
  neverStarted: number;
  leftRunning: number;
  /** Purchases whose execution could not be described (left for the next run). */
  unknown: number;
  metrics: PurchaseMetrics;
}

/**
 * One run: every purchase `running` for longer than STUCK_AFTER_MS (up to BATCH_SIZE, oldest
 * first), by what its execution says:
 * - no execution: closed `failed`, "never started; nothing was taken" (no execution ran, so
 *   nothing was debited; the write checks it), and its idempotency key released, as when the
 *   start is refused;
 * - FAILED, TIMED_OUT, ABORTED: closed `failed` with the execution's error and cause, and whether
 *   the credits are held (debited, not refunded: a redrive or an operator returns them);
 * - SUCCEEDED: `completed` (the complete step's write was lost);
 * - RUNNING (or PENDING_REDRIVE): left alone, a compensation is still retrying.
 * Each write moves the record only from `running`, so a step that ends the purchase meanwhile wins.
 */
export async function reconcilePurchases({
  db,
  executions,
  log,
  clock = () => new Date(),
}: ReconcileDeps): Promise<ReconcileReport> {
  const stuckBefore = () => new Date(clock().getTime() - STUCK_AFTER_MS);
  const stuck = await db.purchase.findMany({
    where: { status: 'running', createdAt: { lt: stuckBefore() } },
    orderBy: { createdAt: 'asc' },
    take: BATCH_SIZE,
  });
  const report = { completed: 0, failed: 0, neverStarted: 0, leftRunning: 0, unknown: 0 };
  for (const purchase of stuck) {
    const purchaseLog = log.child({ purchaseId: purchase.id });
    let execution: ExecutionState | undefined;
    try {
      execution = await executions.describe(purchase.id);
    } catch (err) {
      purchaseLog.warn({ err }, 'reconciler: the execution could not be described; next run');
      report.unknown += 1;
      continue;
    }
    const done = await settle(db, purchase, execution);
    // Undefined: a step ended the purchase between the read and the write, and its end stands.
    if (done) report[done] += 1;
    purchaseLog.info(
      { execution: execution?.status ?? 'none', done: done ?? 'ended meanwhile' },
      'reconciler: purchase examined',
    );
  }
  const metrics: PurchaseMetrics = {
    StuckPurchases: await db.purchase.count({
      where: { status: 'running', createdAt: { lt: stuckBefore() } },
    }),
    PurchasesHoldingCredits: await db.purchase.count({
      where: { status: 'failed', debitedAt: { not: null }, refundedAt: null },
    }),
  };
  return { ...report, metrics };
}

type Done = 'completed' | 'failed' | 'neverStarted' | 'leftRunning';

async function settle(
  db: AsyncSlotsDatabase,
  purchase: PurchaseRecord,
  execution: ExecutionState | undefined,
): Promise<Done | undefined> {
  if (execution === undefined) {
    const closed = await abandonPurchase(
      db,
      purchase.id,
      'The purchase never started; nothing was taken.',
    );
    return closed ? 'neverStarted' : undefined;
  }
  if (execution.status === 'SUCCEEDED') {
    const moved = await setStatus(db, purchase.id, 'completed', {
      from: ['running'],
      reason: null,
    });
    return moved ? 'completed' : undefined;
  }
  if (STOPPED.includes(execution.status)) {
    const reason = await stoppedReason(db, purchase, execution);
    const moved = await setStatus(db, purchase.id, 'failed', { from: ['running'], reason });
    return moved ? 'failed' : undefined;
  }
  return 'leftRunning';
}

/**
 * Why a stopped execution's purchase failed, in the record's words: the execution's error and
 * cause, named CompensationFailed when the last step it tried was a compensation, and what became
 * of the credits.
 */
async function stoppedReason(
  db: AsyncSlotsDatabase,
  purchase: PurchaseRecord,
  { status, error, cause }: ExecutionState,
): Promise<string> {
  const steps = (await readPurchase(db, purchase.id))?.steps ?? [];
  const last = steps.at(-1);
  const atCompensation = last && (last.step === 'cancelGrant' || last.step === 'refund');
  const what = atCompensation
    ? `${SAGA_FAILURES.compensationFailed} at ${last.step}`
    : `The purchase stopped (${status})`;
  const why = [error, cause].filter(Boolean).join(': ');
  const credits =
    purchase.debitedAt && !purchase.refundedAt
      ? `the ${purchase.price} credits are held until an operator returns them`
      : 'no credits were taken';
  // The credits first: the reason is shortened to fit, and the cause can be long.
  return why ? `${what}; ${credits}. ${why}` : `${what}; ${credits}.`;
}
