import type { Logger } from '@course/service-kit/core';
import type { AsyncSlotsDatabase } from '../slots/database.ts';
import type { ForumTitles } from './forum-titles.ts';
import { markCompensating, markCompleted, recordAttempt } from './record.ts';
import type { CancelGrantResult, GrantResult, StepEvent } from './saga.ts';

/*
 * The saga's two forum steps, without Lambda types (functions/grant.ts and cancel-grant.ts are
 * their adapters). Each reads the purchase from its record, calls the forum, and records the
 * attempt; an error leaves by its name (TitleRefused, ForumUnavailable…) for the state machine.
 * The purchase id is the X-Request-Id of the forum's call: one id to follow a purchase through
 * the record, the execution (its name) and the forum's log.
 */

export interface ForumStepDeps {
  db: AsyncSlotsDatabase;
  forum: ForumTitles;
  log: Logger;
}

/** Grants the purchase's title in the forum, then marks the purchase completed. */
export function grantStep({ db, forum, log }: ForumStepDeps) {
  return ({ purchaseId }: StepEvent): Promise<GrantResult> =>
    logged(log, purchaseId, 'grant', () =>
      recordAttempt(db, purchaseId, 'grant', async (purchase) => {
        const { userId, username, titleId } = purchase;
        const result = await forum.grant(purchaseId, { userId, username, titleId }, purchaseId);
        // Granted, and only then completed: a crash between the two is retried, and the forum
        // answers the retry's grant with `granted` again.
        await markCompleted(db, purchaseId);
        return result;
      }),
    );
}

/** Makes sure the forum never shows the purchase's title (the first compensation). */
export function cancelGrantStep({ db, forum, log }: ForumStepDeps) {
  return ({ purchaseId }: StepEvent): Promise<CancelGrantResult> =>
    logged(log, purchaseId, 'cancelGrant', () =>
      recordAttempt(db, purchaseId, 'cancelGrant', async () => {
        const result = await forum.cancel(purchaseId, purchaseId);
        // Revoked or forbidden for good: a grant whose answer was lost may have marked the
        // purchase completed; it no longer is.
        await markCompensating(db, purchaseId);
        return result;
      }),
    );
}

async function logged<T extends { outcome: string }>(
  log: Logger,
  purchaseId: string,
  step: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    const result = await work();
    log.info({ purchaseId, step, outcome: result.outcome }, 'saga step done');
    return result;
  } catch (err) {
    log.warn({ purchaseId, step, err }, 'saga step failed');
    throw err;
  }
}
