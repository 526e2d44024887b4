import type { Schemas } from '../../lib/api.ts';
import { ProblemMessage } from '../../lib/ProblemMessage.tsx';
import type { Problem } from '../../lib/problem.ts';
import { Link } from '../../lib/router.tsx';
import type { Purchase } from './use-purchase.ts';

type Step = Schemas['PurchaseStep'];

/** What each step does, in the player's words. The last two undo the first: the compensation. */
const STEP_WORDS: Record<Step['step'], { label: string; compensation: boolean }> = {
  debit: { label: 'Debit the credits', compensation: false },
  grant: { label: 'Grant the title', compensation: false },
  cancelGrant: { label: 'Make sure the title is not granted', compensation: true },
  refund: { label: 'Refund the credits', compensation: true },
};

/**
 * One purchase and its saga, step by step, the way the "Served by" panel shows calls: every
 * attempt of every step is a row (a retried step shows each try), with how it ended, what it
 * said and how long it took. The status line above the rows is a live region, so a screen
 * reader hears the purchase move on and end.
 *
 * `stillRunning`: the page stopped asking while the saga goes on (a compensation retrying); it
 * says so, and offers a look again.
 */
export function PurchaseSteps({
  purchase,
  problem,
  stillRunning,
  onLookAgain,
}: {
  purchase: Purchase;
  problem: Problem | null;
  stillRunning: boolean;
  onLookAgain: () => void;
}) {
  return (
    <section className="purchase" aria-labelledby="purchase-heading">
      <h2 id="purchase-heading">Your purchase: {purchase.title}</h2>
      <p
        role="status"
        className={`purchase__status purchase__status--${purchase.status}`}
        data-testid="purchase-status"
      >
        {describePurchase(purchase)}
      </p>
      {purchase.steps.length > 0 ? (
        <ol className="purchase__steps" aria-label="Steps of the purchase">
          {purchase.steps.map((step) => (
            <StepRow key={`${step.step}:${step.attempt}`} step={step} />
          ))}
        </ol>
      ) : null}
      {purchase.status === 'completed' ? (
        <p className="muted">
          The <Link href="/forum">forum</Link> shows it beside your name.
        </p>
      ) : null}
      {stillRunning ? (
        <div className="purchase__still-running">
          <p role="status" data-testid="purchase-still-running">
            Still running: the saga retries for a while; come back to this page later. Its address
            names this purchase.
          </p>
          <button type="button" className="button button--small" onClick={onLookAgain}>
            Look again
          </button>
        </div>
      ) : null}
      {problem ? (
        <ProblemMessage
          problem={problem}
          onRetry={purchase.status === 'running' && !stillRunning ? onLookAgain : undefined}
        />
      ) : null}
    </section>
  );
}

/**
 * The purchase's state in words: where it is while it runs, how it ended once it has. The record's
 * own reason, when it gives one, says why in its words (the price, the balance); ours only frame it.
 */
export function describePurchase(purchase: Purchase): string {
  const because = purchase.reason ? ` ${purchase.reason}` : '';
  switch (purchase.status) {
    case 'running': {
      const current = purchase.steps.at(-1);
      if (current === undefined) return `Buying ${purchase.title}: starting…`;
      const label = STEP_WORDS[current.step].label.toLowerCase();
      return `Buying ${purchase.title}: ${label}, attempt ${current.attempt}…`;
    }
    case 'completed':
      return `You are now ${purchase.title}. ${purchase.price} credits paid.`;
    case 'rejected':
      return purchase.reason
        ? `Nothing was debited. ${purchase.reason}`
        : `Not enough credits for ${purchase.title}: nothing was debited.`;
    case 'refunded':
      return (
        purchase.reason ??
        `${purchase.title} could not be granted, so your ${purchase.price} credits are back.`
      );
    case 'failed':
      // Nothing was debited, or a compensation is stuck: the record's reason says which.
      return `The purchase ended without the title and could not finish normally; the steps below show where it stopped.${because}`;
  }
}

function StepRow({ step }: { step: Step }) {
  const words = STEP_WORDS[step.step];
  const className = words.compensation
    ? 'purchase-step purchase-step--compensation'
    : 'purchase-step';
  return (
    <li className={className} data-step={step.step} data-status={step.status}>
      <span className="purchase-step__what">
        <span className="purchase-step__name">{step.step}</span> {words.label}
        {words.compensation ? <span className="purchase-step__tag">compensation</span> : null}
      </span>
      <span className="purchase-step__facts">
        <span className={`purchase-step__status purchase-step__status--${step.status}`}>
          {step.status}
        </span>
        <span>attempt {step.attempt}</span>
        <span>{step.endedAt ? formatDuration(step.startedAt, step.endedAt) : '…'}</span>
      </span>
      {step.detail ? <span className="purchase-step__detail">{step.detail}</span> : null}
    </li>
  );
}

/** "45 ms" below a second, "1.2 s" above: retries with backoff make some steps take seconds. */
export function formatDuration(startedAt: string, endedAt: string): string {
  const ms = Math.max(0, Date.parse(endedAt) - Date.parse(startedAt));
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
