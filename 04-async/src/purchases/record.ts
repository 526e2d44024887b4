/*
 * The purchase record, in the slots database: what was bought, by whom, at which price, how far
 * the saga got, and one row per attempt of each of its steps. The steps write it as they run and
 * the purchase API reads it: the page shows a purchase's progress from here, never from Step
 * Functions' execution history (throttled on AWS, and not the application's data).
 *
 * Plain functions over the database, returning plain objects: no HTTP, no Lambda types.
 */
import type { Prisma } from '../generated/slots/client.ts';
import type { AsyncSlotsDatabase } from '../slots/database.ts';
import type { Title } from './catalog.ts';
import { PURCHASE_STEPS, type PurchaseStepName } from './saga.ts';

export type PurchaseStatus = 'running' | 'completed' | 'rejected' | 'refunded' | 'failed';
export type AttemptStatus = 'running' | 'succeeded' | 'failed';

/** A purchase as the application sees it (no database types). */
export interface PurchaseRecord {
  id: string;
  userId: string;
  username: string;
  titleId: string;
  titleName: string;
  price: number;
  status: PurchaseStatus;
  reason: string | null;
  idempotencyKey: string | null;
  /** The X-Request-Id of the request that started it: the saga's events carry it. */
  traceId: string;
  debitedAt: Date | null;
  refundedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One attempt of one step, oldest first in a purchase's `steps`. */
export interface StepAttempt {
  step: PurchaseStepName;
  attempt: number;
  status: AttemptStatus;
  detail: string | null;
  startedAt: Date;
  endedAt: Date | null;
}

export interface PurchaseWithSteps extends PurchaseRecord {
  steps: StepAttempt[];
}

/** The database, or a transaction of it: the record's writes run in either. */
type Db = AsyncSlotsDatabase | Prisma.TransactionClient;

/** A step's detail is a line for a person, not a stack trace (the contract allows 500). */
const DETAIL_MAX = 200;

/** A purchase the caller names does not exist: a step invoked with an unknown id. */
export class PurchaseNotFound extends Error {
  override name = 'PurchaseNotFound';
  constructor(purchaseId: string) {
    super(`no purchase ${purchaseId}`);
  }
}

export interface NewPurchaseRecord {
  id: string;
  player: { id: string; username: string };
  title: Title;
  idempotencyKey?: string | undefined;
  traceId: string;
}

/**
 * Inserts a purchase (status running), unless the player already has one with the same
 * idempotency key: then that one is answered and `created` is false. Two requests racing with the
 * same key both reach the insert; the unique (user, key) lets one in, and the other finds it.
 */
export async function insertPurchase(
  db: Db,
  { id, player, title, idempotencyKey, traceId }: NewPurchaseRecord,
): Promise<{ created: boolean; purchase: PurchaseRecord }> {
  const { count } = await db.purchase.createMany({
    data: [
      {
        id,
        userId: player.id,
        username: player.username,
        titleId: title.id,
        titleName: title.name,
        price: title.price,
        idempotencyKey: idempotencyKey ?? null,
        traceId,
      },
    ],
    skipDuplicates: true,
  });
  if (count === 1) return { created: true, purchase: await findPurchaseOrThrow(db, id) };
  const existing =
    idempotencyKey === undefined
      ? undefined
      : await findPurchaseByKey(db, player.id, idempotencyKey);
  // Only the key can collide: the id is fresh (a random UUID drawn by the caller).
  if (!existing) throw new Error(`purchase ${id} was not inserted and has no key to find it by`);
  return { created: false, purchase: existing };
}

export async function findPurchaseByKey(
  db: Db,
  userId: string,
  idempotencyKey: string,
): Promise<PurchaseRecord | undefined> {
  const row = await db.purchase.findUnique({
    where: { userId_idempotencyKey: { userId, idempotencyKey } },
  });
  return row ?? undefined;
}

export async function findPurchase(db: Db, id: string): Promise<PurchaseRecord | undefined> {
  return (await db.purchase.findUnique({ where: { id } })) ?? undefined;
}

export async function findPurchaseOrThrow(db: Db, id: string): Promise<PurchaseRecord> {
  const purchase = await findPurchase(db, id);
  if (!purchase) throw new PurchaseNotFound(id);
  return purchase;
}

/** The purchase with every attempt of every step, oldest first. */
export async function readPurchase(db: Db, id: string): Promise<PurchaseWithSteps | undefined> {
  const row = await db.purchase.findUnique({
    where: { id },
    include: { steps: { orderBy: [{ startedAt: 'asc' }, { attempt: 'asc' }] } },
  });
  if (!row) return undefined;
  const { steps, ...purchase } = row;
  return {
    ...purchase,
    steps: steps.map(({ step, attempt, status, detail, startedAt, endedAt }) => ({
      step: stepNameOf(step),
      attempt,
      status,
      detail,
      startedAt,
      endedAt,
    })),
  };
}

/**
 * Appends a `running` attempt of `step` and returns its row id and number (1 for the first). The
 * purchase's row is locked while the number is drawn: should two attempts of one step ever overlap
 * (a timed-out invocation still running beside its retry), they take turns and draw 1 then 2.
 */
export async function appendAttempt(
  db: AsyncSlotsDatabase,
  purchaseId: string,
  step: PurchaseStepName,
): Promise<{ id: string; attempt: number }> {
  return db.$transaction(async (tx) => {
    await lockPurchase(tx, purchaseId);
    const attempt = (await tx.purchaseStep.count({ where: { purchaseId, step } })) + 1;
    return tx.purchaseStep.create({
      data: { purchaseId, step, attempt },
      select: { id: true, attempt: true },
    });
  });
}

/** The purchase, read under its row lock (SELECT … FOR UPDATE) for the rest of the transaction. */
export async function lockPurchase(
  tx: Prisma.TransactionClient,
  purchaseId: string,
): Promise<PurchaseRecord> {
  await tx.$executeRaw`SELECT 1 FROM purchases WHERE id = ${purchaseId}::uuid FOR UPDATE`;
  const purchase = await tx.purchase.findUnique({ where: { id: purchaseId } });
  if (!purchase) throw new PurchaseNotFound(purchaseId);
  return purchase;
}

/** Closes an attempt: succeeded or failed, with a short detail. */
export async function closeAttempt(
  db: Db,
  attemptId: string,
  status: Exclude<AttemptStatus, 'running'>,
  detail: string,
): Promise<void> {
  await db.purchaseStep.update({
    where: { id: attemptId },
    data: { status, detail: shorten(detail), endedAt: new Date() },
  });
}

/**
 * Moves a purchase to `status` only from one of `from`: how a step changes the status without
 * overwriting an end another step already wrote (a late retry never reopens a refunded purchase).
 * Answers whether it moved.
 */
export async function setStatus(
  db: Db,
  purchaseId: string,
  status: PurchaseStatus,
  { from, reason }: { from: readonly PurchaseStatus[]; reason?: string | null },
): Promise<boolean> {
  const { count } = await db.purchase.updateMany({
    where: { id: purchaseId, status: { in: [...from] } },
    data: { status, ...(reason === undefined ? {} : { reason: reason && shorten(reason) }) },
  });
  return count === 1;
}

/**
 * The grant's last word: the title is granted, so the purchase is completed. Idempotent (a
 * retried grant finds it completed already) and only from `running`: a purchase that has ended
 * otherwise is never turned into a completed one.
 */
export async function markCompleted(db: Db, purchaseId: string): Promise<void> {
  await setStatus(db, purchaseId, 'completed', { from: ['running'], reason: null });
}

/**
 * The first compensation's word: the title is revoked (or can never be granted), so the purchase
 * is no longer completed, whatever a grant wrote before its answer was lost. It runs again until
 * the refund (or a compensation failing for good) ends it. Without this, a grant that completed
 * the purchase and then crashed would leave it `completed` with no title and its credits refunded,
 * or — should the refund fail for good — `completed` with credits taken and no title.
 */
export async function markCompensating(db: Db, purchaseId: string): Promise<void> {
  await setStatus(db, purchaseId, 'running', { from: ['completed'], reason: null });
}

/**
 * A purchase whose saga never started: closed `failed`, and its idempotency key released so that
 * a retry with the same key starts a new purchase. The row stays (the functions' database role may
 * not delete rows), so an id already handed out still reads as what happened to it.
 */
export async function abandonPurchase(db: Db, purchaseId: string): Promise<void> {
  await db.purchase.updateMany({
    where: { id: purchaseId, status: 'running', debitedAt: null },
    data: {
      status: 'failed',
      reason: 'The purchase could not be started; no credits were taken.',
      idempotencyKey: null,
    },
  });
}

/** The compensation steps: when one of them fails, the purchase cannot end cleanly by itself. */
const COMPENSATIONS: readonly PurchaseStepName[] = ['cancelGrant', 'refund'];

/**
 * Runs one attempt of a saga step and records it: every step function wraps its work in this.
 *
 * It reads the purchase (a step receives only its id: the player, title and price come from the
 * record), appends a `running` attempt, runs `work`, then closes the attempt `succeeded` with
 * `describe(result)` as detail (default: the result's outcome), or `failed` with the error's name
 * and message — and rethrows, so that the state machine's Retry and Catch see the error unchanged.
 *
 * When a compensation step (cancelGrant, refund) fails, the purchase is marked `failed` with the
 * reason: if that was the last attempt the state machine ends in CompensationFailed and the record
 * already says so; if a retry then succeeds, the refund sets `refunded`.
 *
 * A function that dies mid-work leaves its attempt `running`: the record shows it as started and
 * never ended, which is what happened.
 *
 * @throws PurchaseNotFound when no purchase has this id (nothing is recorded), or whatever `work`
 *   threw.
 */
export async function recordAttempt<T extends { outcome: string }>(
  db: AsyncSlotsDatabase,
  purchaseId: string,
  step: PurchaseStepName,
  work: (purchase: PurchaseRecord) => Promise<T>,
  describe: (result: T, purchase: PurchaseRecord) => string = (result) => result.outcome,
): Promise<T> {
  const purchase = await findPurchaseOrThrow(db, purchaseId);
  const { id: attemptId } = await appendAttempt(db, purchaseId, step);
  let result: T;
  try {
    result = await work(purchase);
  } catch (err) {
    const detail = describeError(err);
    await closeAttempt(db, attemptId, 'failed', detail);
    if (COMPENSATIONS.includes(step)) {
      await setStatus(db, purchaseId, 'failed', {
        from: ['running', 'failed'],
        reason: `${step} failed: ${detail}`,
      });
    }
    throw err;
  }
  await closeAttempt(db, attemptId, 'succeeded', describe(result, purchase));
  return result;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

function shorten(text: string): string {
  return text.length <= DETAIL_MAX ? text : `${text.slice(0, DETAIL_MAX - 1)}…`;
}

function stepNameOf(step: string): PurchaseStepName {
  const known = PURCHASE_STEPS.find((name) => name === step);
  if (!known) throw new Error(`purchase_steps holds an unknown step: ${step}`);
  return known;
}
