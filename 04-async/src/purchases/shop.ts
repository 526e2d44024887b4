/*
 * The titles shop's use cases, with no HTTP framework and no AWS SDK in them: list the titles,
 * start a purchase, read one. The purchases function (functions/purchases.ts) is a thin adapter
 * over these; starting the saga goes through a port (SagaStarter) so tests can pass one that
 * refuses.
 *
 * Starting a purchase answers at once (202): the record is written, the saga's execution is
 * started, and the steps run afterwards, updating the record the caller then follows.
 */
import { idempotencyKeyReused, parseIdempotencyKey } from '@course/monolith/slots/use-cases';
import { type AuthUser, HttpError, parseBody, problems } from '@course/service-kit/core';
import { z } from 'zod';
import type { AsyncSlotsDatabase } from '../slots/database.ts';
import { findTitle, TITLES, type Title } from './catalog.ts';
import {
  abandonPurchase,
  insertPurchase,
  type PurchaseRecord,
  type PurchaseWithSteps,
  readPurchase,
} from './record.ts';

/** What the shop needs of Step Functions: start the saga of one purchase. */
export interface SagaStarter {
  /**
   * Starts the execution named `purchaseId` with input {purchaseId}. Starting it again is fine:
   * Step Functions answers a running one's ARN, or ExecutionAlreadyExists for one that has ended,
   * which the starter takes as "already started". Throws when Step Functions refuses or is down.
   */
  start(purchaseId: string): Promise<void>;
}

export interface ShopDeps {
  db: AsyncSlotsDatabase;
  saga: SagaStarter;
  /** Opens the player's wallet on first touch (and publishes its WalletOpened), as a spin does. */
  openWallet: (player: AuthUser) => Promise<void>;
}

/** A purchase as the contract shows it (the Purchase schema). */
export interface PurchaseView {
  id: string;
  titleId: string;
  title: string;
  price: number;
  status: PurchaseRecord['status'];
  reason?: string;
  createdAt: string;
  updatedAt: string;
  steps: {
    step: string;
    attempt: number;
    status: string;
    detail?: string;
    startedAt: string;
    endedAt?: string;
  }[];
}

/** Where a purchase is followed: the Location of POST's answer. */
export function purchaseLocation(id: string): string {
  return `/api/slots/purchases/${id}`;
}

/** Extra fields are ignored; the id's shape is checked here, whether it names a title below. */
const newPurchaseSchema = z.object({
  titleId: z.string().regex(/^[a-z0-9-]{1,40}$/, 'expected a title id such as lucky-seven'),
});

export function listTitles(): { items: Title[] } {
  return { items: [...TITLES] };
}

/**
 * Starts a purchase of a title: validates it (422 for a title not on sale), opens the wallet if
 * it is the player's first touch, writes the record (status running) and starts the saga.
 *
 * With an Idempotency-Key, a retry finds the purchase the key started and answers it again
 * (`replayed`), after starting its saga once more while it is `running`: if the first request's
 * start was lost, this one makes it. A purchase that has ended starts nothing (a new execution of
 * an old name, possible after Step Functions forgets it, would run it again). The same key for
 * another title is 422, like a spin's.
 *
 * When Step Functions refuses the start, the record is closed `failed` and its key released (the
 * functions' database role may not delete rows), so that a retry with the same key starts afresh;
 * the answer is 503. Unless the record cannot be closed because an execution has already debited
 * it — StartExecution's answer was lost, not its effect —: then the saga is under way, and the
 * answer is the 202 of a started purchase.
 */
export async function startPurchase(
  { db, saga, openWallet }: ShopDeps,
  player: AuthUser,
  request: { body: unknown; idempotencyKey: string | undefined; traceId: string },
): Promise<{ purchase: PurchaseView; replayed: boolean }> {
  const idempotencyKey = parseIdempotencyKey(request.idempotencyKey) ?? undefined;
  const { titleId } = parseBody(newPurchaseSchema, request.body);
  const title = findTitle(titleId);
  if (!title) {
    throw problems.validation([
      { path: 'titleId', message: `no title on sale is called ${titleId}` },
    ]);
  }
  await openWallet(player);

  const { created, purchase } = await insertPurchase(db, {
    id: crypto.randomUUID(),
    player,
    title,
    idempotencyKey,
    traceId: request.traceId,
  });
  if (!created && purchase.titleId !== title.id) throw idempotencyKeyReused();
  if (purchase.status === 'running') await startSaga(db, saga, purchase.id);
  return { purchase: viewOf(await readOwn(db, player, purchase.id)), replayed: !created };
}

/**
 * Starts the purchase's saga, or closes the purchase if it cannot be started. Returns when the saga
 * is under way (started now, or earlier: the record was already debited); throws 503 otherwise.
 */
async function startSaga(db: AsyncSlotsDatabase, saga: SagaStarter, purchaseId: string) {
  let refusal: unknown;
  try {
    await saga.start(purchaseId);
    return;
  } catch (err) {
    refusal = err;
  }
  let closed: boolean;
  try {
    closed = await abandonPurchase(db, purchaseId);
  } catch {
    // Neither known to be started nor closed: the purchase stays `running`; a retry with the same
    // key starts it (harmless if it did start), and otherwise the reconciler closes it.
    throw new HttpError(503, {
      detail: 'The purchase could not be started. Please retry with the same Idempotency-Key.',
      cause: refusal,
    });
  }
  if (!closed) return;
  throw new HttpError(503, {
    detail: 'The purchase could not be started; nothing was taken. Please retry.',
    cause: refusal,
  });
}

/** One of the caller's purchases with its steps; anything else (another's, unknown, not a UUID) is 404. */
export async function readPurchaseOf(
  db: AsyncSlotsDatabase,
  player: AuthUser,
  id: string,
): Promise<PurchaseView> {
  return viewOf(await readOwn(db, player, id));
}

async function readOwn(
  db: AsyncSlotsDatabase,
  player: AuthUser,
  id: string,
): Promise<PurchaseWithSteps> {
  // Checked before the query: the column is a UUID, and Postgres would refuse anything else.
  const purchase = z.uuid().safeParse(id).success ? await readPurchase(db, id) : undefined;
  // Someone else's purchase is as unknown as one that does not exist: its id reveals nothing.
  if (!purchase || purchase.userId !== player.id) throw problems.notFound('No such purchase.');
  return purchase;
}

function viewOf(purchase: PurchaseWithSteps): PurchaseView {
  return {
    id: purchase.id,
    titleId: purchase.titleId,
    title: purchase.titleName,
    price: purchase.price,
    status: purchase.status,
    ...(purchase.reason ? { reason: purchase.reason } : {}),
    createdAt: purchase.createdAt.toISOString(),
    updatedAt: purchase.updatedAt.toISOString(),
    steps: purchase.steps.map((attempt) => ({
      step: attempt.step,
      attempt: attempt.attempt,
      status: attempt.status,
      ...(attempt.detail ? { detail: attempt.detail } : {}),
      startedAt: attempt.startedAt.toISOString(),
      ...(attempt.endedAt ? { endedAt: attempt.endedAt.toISOString() } : {}),
    })),
  };
}
