/*
 * The saga's steps on the slots side: take the price from the wallet (debit), give it back
 * (refund, the compensation), and close the purchase `completed` once its title is granted. Each one is a use case with no Lambda types in it, idempotent by the
 * purchase id, and moves credits exactly as a spin does: the wallet's row, the purchase's record
 * and the event that reports the change commit in one transaction (the outbox), and the event is
 * published right after the commit (the relay), or a little later by the sweeper.
 *
 * What makes them idempotent is the purchase's row, locked first in each transaction:
 * `debited_at` says the price has left the wallet, `refunded_at` that it came back. A retried
 * step, a step whose answer was lost after its commit, or a replayed execution finds them set and
 * moves nothing.
 */

import { appendEvent, type EventDraft } from '../events/outbox.ts';
import type { Prisma } from '../generated/slots/client.ts';
import type { AsyncSlotsDatabase } from '../slots/database.ts';
import {
  findPurchaseOrThrow,
  lockPurchase,
  type PurchaseRecord,
  type PurchaseStatus,
  recordAttempt,
  setStatus,
} from './record.ts';
import type { CompleteResult, DebitResult, RefundResult } from './saga.ts';

export interface PurchaseStepDeps {
  db: AsyncSlotsDatabase;
  /** Publishes committed events by id (the outbox relay); never throws. */
  publish: (eventIds: readonly string[]) => Promise<void>;
  clock?: () => Date;
}

/** What a step decided inside its transaction, and the event to write if it moved credits. */
interface Decision<R> {
  result: R;
  detail: string;
  event?: EventDraft;
}

/**
 * Step 1: the price leaves the wallet, unless the wallet cannot pay it (`rejected`: the purchase
 * ends there, with nothing to undo) or the purchase has already ended (`closed`). A purchase once
 * rejected stays rejected, even if the wallet could pay by now: a replay must answer what the
 * first execution did. And a purchase whose credits came back is closed too, never `debited`
 * again: a replay that went on to the grant could grant a title whose price was refunded. A
 * completed purchase is closed as well: a replay that went on to the grant while the forum was
 * failing would compensate it, revoking a title that was bought and paid for.
 */
export function debit(deps: PurchaseStepDeps, purchaseId: string): Promise<DebitResult> {
  return runStep<DebitResult>(deps, purchaseId, 'debit', async (tx, purchase, time) => {
    if (purchase.refundedAt || isEnded(purchase)) {
      return { result: { outcome: 'closed' }, detail: `already ${purchase.status}: not debited` };
    }
    if (purchase.debitedAt) return { result: { outcome: 'debited' }, detail: 'already debited' };
    // The row lock makes concurrent debits of one wallet queue up, and each sees the balance the
    // one before it left: the wallet never goes below zero (its CHECK constraint agrees).
    const [wallet] = await tx.$queryRaw<{ balance: number; username: string }[]>`
      UPDATE wallets SET balance = balance - ${purchase.price}, updated_at = ${time}
      WHERE user_id = ${purchase.userId}::uuid AND balance >= ${purchase.price}
      RETURNING balance, username`;
    if (!wallet) {
      const balance = await balanceOf(tx, purchase.userId);
      const reason = `Not enough credits: ${purchase.titleName} costs ${purchase.price}, the wallet holds ${balance}.`;
      await setStatus(tx, purchase.id, 'rejected', { from: ['running'], reason });
      return { result: { outcome: 'rejected' }, detail: reason };
    }
    await tx.purchase.update({ where: { id: purchase.id }, data: { debitedAt: time } });
    return {
      result: { outcome: 'debited' },
      detail: `${purchase.price} credits debited`,
      event: creditsEvent('CreditsSpent', purchase, wallet),
    };
  });
}

/**
 * The compensation: the price comes back to the wallet, once, and the purchase ends `refunded` —
 * whatever its status said, but `rejected` (never debited): a grant that took effect before its
 * answer was lost may have been followed by this compensation, and the credits coming back is the
 * fact that ends the purchase.
 *
 * A purchase that was never debited has nothing to give back (`nothing-debited`): the debit failed
 * for good, and the purchase ends `failed` with the wallet untouched (the state machine ends in
 * PurchaseNotDebited).
 */
export function refund(deps: PurchaseStepDeps, purchaseId: string): Promise<RefundResult> {
  return runStep<RefundResult>(deps, purchaseId, 'refund', async (tx, purchase, time) => {
    if (purchase.refundedAt) {
      return { result: { outcome: 'refunded' }, detail: 'already refunded' };
    }
    if (!purchase.debitedAt) {
      await setStatus(tx, purchase.id, 'failed', {
        from: ['running'],
        reason: `The price of ${purchase.titleName} could not be debited; nothing was taken.`,
      });
      return { result: { outcome: 'nothing-debited' }, detail: 'nothing was debited' };
    }
    const [wallet] = await tx.$queryRaw<{ balance: number; username: string }[]>`
      UPDATE wallets SET balance = balance + ${purchase.price}, updated_at = ${time}
      WHERE user_id = ${purchase.userId}::uuid
      RETURNING balance, username`;
    // A debited purchase's wallet exists: the functions' role cannot delete rows.
    if (!wallet) throw new Error(`the wallet of purchase ${purchase.id} is gone`);
    await tx.purchase.update({ where: { id: purchase.id }, data: { refundedAt: time } });
    await setStatus(tx, purchase.id, 'refunded', {
      from: REFUNDABLE,
      reason: `${purchase.titleName} could not be granted; the ${purchase.price} credits are back.`,
    });
    return {
      result: { outcome: 'refunded' },
      detail: `${purchase.price} credits refunded`,
      event: creditsEvent('CreditsRefunded', purchase, wallet),
    };
  });
}

/** Every status a debited purchase can hold when its credits come back (`rejected` never was). */
const REFUNDABLE: readonly PurchaseStatus[] = ['running', 'completed', 'failed'];

/**
 * The saga's last step, after the grant: the purchase is `completed`. Nothing can compensate after
 * it, so the status is written once, by the fact that decides it. Idempotent (a retry finds it
 * completed), and only from `running`: a purchase that ended otherwise is never turned into a
 * completed one — the execution then fails here, for an operator, rather than lie.
 *
 * It records no attempt: it is bookkeeping on the record, not a step of the purchase (the page
 * shows the debit and the grant, and the status).
 */
export async function complete(
  { db }: Pick<PurchaseStepDeps, 'db'>,
  purchaseId: string,
): Promise<CompleteResult> {
  const moved = await setStatus(db, purchaseId, 'completed', { from: ['running'], reason: null });
  if (moved) return { outcome: 'completed' };
  const { status } = await findPurchaseOrThrow(db, purchaseId);
  if (status === 'completed') return { outcome: 'completed' };
  throw new PurchaseEnded(purchaseId, status);
}

/** The complete step found the purchase ended otherwise: a fault for an operator, never retried into a lie. */
export class PurchaseEnded extends Error {
  override name = 'PurchaseEnded';
  constructor(purchaseId: string, status: PurchaseStatus) {
    super(`purchase ${purchaseId} has already ended ${status}: it cannot be completed`);
  }
}

/**
 * One recorded attempt of a step that moves credits: the decision runs in a transaction that
 * first locks the purchase's row (two attempts of one purchase never decide at once, and each
 * sees what the other committed) and ends with the decision's event in the outbox, after the
 * wallet change (so its sequence orders it with the player's spins); the event is published
 * after the commit, carrying the trace id of the request that started the purchase.
 */
async function runStep<R extends { outcome: string }>(
  { db, publish, clock = () => new Date() }: PurchaseStepDeps,
  purchaseId: string,
  step: 'debit' | 'refund',
  decide: (
    tx: Prisma.TransactionClient,
    purchase: PurchaseRecord,
    time: Date,
  ) => Promise<Decision<R>>,
): Promise<R> {
  return recordAttempt(db, purchaseId, step, async () => {
    const { result, detail, eventId } = await db.$transaction(async (tx) => {
      const purchase = await lockPurchase(tx, purchaseId);
      const time = clock();
      const decision = await decide(tx, purchase, time);
      const event = decision.event
        ? await appendEvent(tx, decision.event, { traceId: purchase.traceId, time })
        : undefined;
      return { ...decision, eventId: event?.id };
    });
    if (eventId) await publish([eventId]);
    return { result, detail };
  });
}

/**
 * The saga has ended, one way or another: only a redrive of a failed compensation may touch it
 * now. Within one execution the debit always runs before the grant can complete the purchase, so
 * only a replay meets a completed one.
 */
function isEnded(purchase: PurchaseRecord): boolean {
  return ['completed', 'rejected', 'refunded', 'failed'].includes(purchase.status);
}

async function balanceOf(tx: Prisma.TransactionClient, userId: string): Promise<number> {
  const wallet = await tx.wallet.findUnique({ where: { userId }, select: { balance: true } });
  return wallet?.balance ?? 0;
}

function creditsEvent(
  type: 'CreditsSpent' | 'CreditsRefunded',
  purchase: PurchaseRecord,
  wallet: { balance: number; username: string },
): EventDraft {
  return {
    type,
    data: {
      playerId: purchase.userId,
      username: wallet.username,
      purchaseId: purchase.id,
      titleId: purchase.titleId,
      amount: purchase.price,
      balance: wallet.balance,
    },
  };
}
