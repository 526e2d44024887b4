/*
 * What must hold once every purchase saga has ended and the event pipeline has settled, whatever
 * failed on the way: credits are conserved (every debit is matched by a granted title or by a
 * refund), no title exists without payment, no purchase is half-done, and the leaderboard still
 * equals the wallets. The facts come from the three places that hold them — the purchase records
 * and the outbox (slots database), the title grants (forum database) — and are checked against
 * each other, never against what a test expected to happen.
 */
import type { DomainEvent } from '@course/contract/events';
import { expect } from 'vitest';
import type { PurchaseStatus } from '../src/purchases/record.ts';
import {
  expectDeadLetterQueuesEmpty,
  expectLeaderboardEqualsWallets,
  outboxEvents,
} from './invariants.ts';
import type { AsyncStageForTests } from './support.ts';

interface PurchaseFacts {
  id: string;
  userId: string;
  status: PurchaseStatus;
  reason: string | null;
  debited: boolean;
  refunded: boolean;
  /** Attempts of the debit that ran to their end (a rejection is one). */
  debitsDecided: number;
}

export interface PurchaseInvariantOptions {
  /**
   * The run made a compensation step fail for good: a purchase may then end `failed`, debited and
   * without its title, for an operator to redrive. Otherwise `failed` is itself a violation.
   */
  compensationMayFail?: boolean;
}

/** Every purchase record, with whether its debit and refund happened. */
async function purchaseFacts(stage: AsyncStageForTests): Promise<PurchaseFacts[]> {
  return stage.query<PurchaseFacts>(
    'slots',
    `SELECT id::text, user_id::text AS "userId", status, reason,
            debited_at IS NOT NULL AS debited, refunded_at IS NOT NULL AS refunded,
            (SELECT count(*)::int FROM purchase_steps s
             WHERE s.purchase_id = p.id AND s.step = 'debit' AND s.status = 'succeeded')
              AS "debitsDecided"
     FROM purchases p ORDER BY created_at`,
  );
}

/** The purchase ids whose title the forum holds granted. */
async function grantedPurchases(stage: AsyncStageForTests): Promise<Set<string>> {
  const rows = await stage.query<{ purchaseId: string }>(
    'forum',
    `SELECT purchase_id::text AS "purchaseId" FROM title_grants WHERE status = 'granted'`,
  );
  return new Set(rows.map((row) => row.purchaseId));
}

/** How many events of `type` the outbox holds for each purchase. */
function countByPurchase(
  events: DomainEvent[],
  type: 'CreditsSpent' | 'CreditsRefunded',
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) {
    if (event.type !== type) continue;
    counts.set(event.data.purchaseId, (counts.get(event.data.purchaseId) ?? 0) + 1);
  }
  return counts;
}

/**
 * The status a purchase must have, from what happened to it: debited, granted, refunded. One
 * answer per combination, so that a record can neither claim more than happened nor hide less;
 * `undefined` when no status may describe it (e.g. a title granted and refunded).
 */
function statusOf(
  {
    debited,
    granted,
    refunded,
    debitsDecided,
  }: Omit<PurchaseFacts, 'id' | 'userId' | 'status' | 'reason'> & { granted: boolean },
  { compensationMayFail = false }: PurchaseInvariantOptions,
): PurchaseStatus[] {
  if (debited && granted && !refunded) return ['completed'];
  if (debited && !granted && refunded) return ['refunded'];
  // Nothing moved: rejected when the debit decided so; failed when no debit ever ran to its end
  // (the saga could not be started, or its debit failed for good before taking anything).
  if (!debited && !granted && !refunded) return debitsDecided > 0 ? ['rejected'] : ['failed'];
  // Credits taken and no title: only a compensation that failed for good may leave it so, and
  // then the record must say `failed`, never pass for something that ended cleanly.
  if (debited && !granted && !refunded) return compensationMayFail ? ['failed'] : [];
  return [];
}

/**
 * Per purchase: (a) at most one CreditsSpent and one CreditsRefunded, and debits − refunds = 1
 * exactly when the forum holds its title; (b) a granted title belongs to a completed purchase,
 * debited and not refunded; (c) the record's status says what happened, and none is running.
 */
export async function expectEveryPurchaseConsistent(
  stage: AsyncStageForTests,
  options: PurchaseInvariantOptions = {},
): Promise<void> {
  const purchases = await purchaseFacts(stage);
  const granted = await grantedPurchases(stage);
  const events = await outboxEvents(stage);
  const spent = countByPurchase(events, 'CreditsSpent');
  const refundedEvents = countByPurchase(events, 'CreditsRefunded');
  const known = new Set(purchases.map((purchase) => purchase.id));

  for (const purchaseId of granted) {
    expect(known.has(purchaseId), `title granted for unknown purchase ${purchaseId}`).toBe(true);
  }
  for (const purchase of purchases) {
    const what = `purchase ${purchase.id} (${purchase.status}, ${purchase.reason ?? 'no reason'})`;
    const debits = spent.get(purchase.id) ?? 0;
    const refunds = refundedEvents.get(purchase.id) ?? 0;
    const hasTitle = granted.has(purchase.id);

    // (a) credits conserved, each movement reported once
    expect(debits, `${what}: CreditsSpent events`).toBe(purchase.debited ? 1 : 0);
    expect(refunds, `${what}: CreditsRefunded events`).toBe(purchase.refunded ? 1 : 0);
    expect(debits - refunds, `${what}: debits − refunds, title granted: ${hasTitle}`).toBe(
      hasTitle ? 1 : 0,
    );
    // (b) no title without payment
    if (hasTitle) {
      expect(purchase, `${what}: holds its title`).toMatchObject({
        status: 'completed',
        debited: true,
        refunded: false,
      });
    }
    // (c) the record tells what happened
    const { debited, refunded, debitsDecided } = purchase;
    const facts = { debited, granted: hasTitle, refunded, debitsDecided };
    expect(statusOf(facts, options), `${what}: ${JSON.stringify(facts)}`).toContain(
      purchase.status,
    );
    if (purchase.status === 'failed') {
      expect(purchase.reason, `${what}: a failed purchase says where it stopped`).toBeTruthy();
    }
  }
}

/**
 * (d) Per player, the outbox's events replayed in order give each event's balance and end at the
 * wallet's balance: a wallet opened with its credits, a spin takes its bet and adds its payout, a
 * debit takes the price, a refund gives it back. No credit appears or vanishes between events.
 */
export async function expectBalancesReplayFromEvents(stage: AsyncStageForTests): Promise<void> {
  const events = await outboxEvents(stage);
  const replayed = new Map<string, number>();
  for (const event of events) {
    const { playerId } = event.data;
    const before = replayed.get(playerId);
    const what = `${event.type} ${event.id} of player ${playerId}`;
    if (event.type === 'WalletOpened') {
      expect(before, `${what}: a wallet opened twice`).toBeUndefined();
      replayed.set(playerId, event.data.balance);
      continue;
    }
    expect(before, `${what}: an event before the wallet was opened`).toBeDefined();
    const previous = before ?? 0;
    const after =
      event.type === 'SpinSettled'
        ? previous - event.data.bet + event.data.payout
        : event.type === 'CreditsSpent'
          ? previous - event.data.amount
          : previous + event.data.amount;
    expect(event.data.balance, what).toBe(after);
    replayed.set(playerId, after);
  }
  const wallets = await stage.query<{ playerId: string; balance: number }>(
    'slots',
    'SELECT user_id::text AS "playerId", balance FROM wallets',
  );
  expect(new Map(wallets.map((wallet) => [wallet.playerId, wallet.balance]))).toEqual(replayed);
}

/** Every invariant of the purchases and the money, once the sagas have ended and all settled. */
export async function expectPurchasesConserveCredits(
  stage: AsyncStageForTests,
  options: PurchaseInvariantOptions = {},
): Promise<void> {
  await expectEveryPurchaseConsistent(stage, options);
  await expectBalancesReplayFromEvents(stage);
  // (e) the events of the saga reached the read model like any spin's
  await expectLeaderboardEqualsWallets(stage);
  await expectDeadLetterQueuesEmpty(stage);
}
