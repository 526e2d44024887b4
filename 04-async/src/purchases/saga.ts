/*
 * The purchase saga's contract between its state machine (cdk/purchase-saga.ts) and its steps
 * (functions/*.ts): what each step receives, what it answers, and the errors it throws by name
 * (a Lambda function's error type is what a state's Retry and Catch match on). One place, so the
 * definition and the handlers cannot drift apart; the CDK tests and the handlers' tests both
 * import it.
 *
 * Every step receives only the purchase id and reads the rest (player, title, price) from the
 * purchase's record: an execution's input cannot make a step debit another price or another
 * wallet. Every step is idempotent by the purchase id: a retried step, or a replayed execution,
 * applies nothing twice.
 */

/** The steps, in the order the record shows them; the last two are the compensation. */
export const PURCHASE_STEPS = ['debit', 'grant', 'cancelGrant', 'refund'] as const;
export type PurchaseStepName = (typeof PURCHASE_STEPS)[number];

/** The state machine's input: `StartExecution`'s `input`, whose name is the same purchase id. */
export interface SagaInput {
  purchaseId: string;
}

/** What every step's function is invoked with (the LambdaInvoke task's Payload). */
export interface StepEvent {
  purchaseId: string;
}

/**
 * The debit's outcome, on which the state machine's Choice branches:
 * - `debited`: the price left the wallet (now or on an earlier attempt): grant the title;
 * - `rejected`: not enough credits, nothing debited; the record says rejected: end, nothing to undo;
 * - `closed`: the purchase had already ended (completed, rejected, refunded or failed): a replay
 *   debits nothing and must not go on to the grant.
 */
export type DebitOutcome = 'debited' | 'rejected' | 'closed';
export interface DebitResult {
  outcome: DebitOutcome;
}

export interface GrantResult {
  /** `granted` now or on an earlier attempt (the forum answers the same for both). */
  outcome: 'granted';
}

/**
 * The last step, after the grant: the record says `completed` (now, or on an earlier attempt).
 * Not one of PURCHASE_STEPS: it records no attempt, only the end.
 */
export interface CompleteResult {
  outcome: 'completed';
}

export interface CancelGrantResult {
  /**
   * The forum will never show this purchase's title: it was revoked (`revoked`), or it was never
   * granted and now cannot be (`cancelled`).
   */
  outcome: 'revoked' | 'cancelled';
}

export interface RefundResult {
  /** `refunded` now or earlier; `nothing-debited` when the debit never happened. */
  outcome: 'refunded' | 'nothing-debited';
}

/**
 * The error names the steps throw (their `name` becomes the Lambda error type):
 * - TitleRefused: the forum refuses the grant for good (the player already owns the title, or the
 *   purchase was cancelled): never retried, caught → compensation.
 * - ForumUnavailable: the forum did not answer, or answered 5xx: retried with backoff, then caught.
 */
export const SAGA_ERRORS = {
  titleRefused: 'TitleRefused',
  forumUnavailable: 'ForumUnavailable',
} as const;

/**
 * How an execution that did not complete says why: the Fail states' error names, and the name
 * the record gives a compensation that failed for good.
 */
export const SAGA_FAILURES = {
  /** Not enough credits, the purchase had already ended, or the debit failed: nothing was debited. */
  notDebited: 'PurchaseNotDebited',
  /** The title could not be granted: it is not granted, and the credits are back. */
  refunded: 'PurchaseRefunded',
  /**
   * Not a Fail state: a compensation (CancelGrant, Refund) has no Catch, so after its retries the
   * execution fails at that step with the step's own error, and `RedriveExecution` (within 14
   * days) resumes it there. The reconciler then closes the record `failed` under this name, with
   * the execution's error and cause.
   */
  compensationFailed: 'CompensationFailed',
} as const;

/**
 * The forum's internal path for titles, never routed publicly (the load balancer and the local
 * gateway route only the contract's paths): the grant and cancel steps call it.
 * - PUT  /internal/title-grants/{purchaseId}  body {userId, username, titleId}
 *        → 200 {outcome: 'granted'}; 409 problem+json when refused for good (owned, cancelled)
 * - DELETE /internal/title-grants/{purchaseId}
 *        → 200 {outcome: 'revoked' | 'cancelled'} (a grant arriving later is refused)
 */
export const FORUM_TITLE_GRANTS_PATH = '/internal/title-grants';
