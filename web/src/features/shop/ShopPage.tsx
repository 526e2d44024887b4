import { useEffect } from 'react';
import type { Schemas } from '../../lib/api.ts';
import { ProblemMessage } from '../../lib/ProblemMessage.tsx';
import { call, type Problem } from '../../lib/problem.ts';
import { Link, useSearch } from '../../lib/router.tsx';
import { useApi, useCurrentSession } from '../../lib/services.tsx';
import { useResource } from '../../lib/use-resource.ts';
import { PurchaseSteps } from './PurchaseSteps.tsx';
import { POLL_SCHEDULE, type PollSchedule, usePurchase } from './use-purchase.ts';
import './shop.css';

/**
 * The titles shop: spend slot credits on a title the forum shows beside your name. Buying one
 * starts a saga across two services (debit in slots, grant in the forum, a refund if the grant
 * fails for good), and the page follows it step by step.
 *
 * The purchase it follows is in the address (`/shop?purchase=<id>`), so a reload or a shared link
 * picks it up again.
 *
 * The same build serves every stage; the shop's API exists from stage 04 on. Before that the
 * catalog answers 404, and the page says where the shop opens instead of showing an error.
 */
export function ShopPage({ polling = POLL_SCHEDULE }: { polling?: PollSchedule }) {
  const api = useApi();
  const [catalog, { reload }] = useResource(() => call(api.GET('/api/slots/titles')), [api]);

  return (
    <section className="panel shop" aria-labelledby="shop-heading">
      <h1 id="shop-heading">Titles shop</h1>
      {catalog.state === 'loading' ? <p className="loading">Loading the titles…</p> : null}
      {catalog.state === 'failed' && catalog.problem.status === 404 ? (
        <p className="notice" data-testid="shop-closed">
          The titles shop opens in stage 04, where buying a title runs as a saga across the slots
          and forum services.
        </p>
      ) : null}
      {catalog.state === 'failed' && catalog.problem.status !== 404 ? (
        <ProblemMessage problem={catalog.problem} onRetry={reload} />
      ) : null}
      {catalog.state === 'ready' ? <Shop titles={catalog.data.items} polling={polling} /> : null}
    </section>
  );
}

interface ShopProps {
  titles: Schemas['Title'][];
  polling: PollSchedule;
}

function Shop({ titles, polling }: ShopProps) {
  const session = useCurrentSession();
  return (
    <>
      <p className="muted">
        Spend slot credits on a title: the forum shows it beside your name on every post.
      </p>
      {session ? (
        <Buyer titles={titles} polling={polling} />
      ) : (
        <>
          <TitleList titles={titles} />
          <p>
            <Link href="/login">Log in</Link> or <Link href="/register">create an account</Link> to
            buy a title.
          </p>
        </>
      )}
    </>
  );
}

function Buyer({ titles, polling }: ShopProps) {
  const api = useApi();
  const followedId = new URLSearchParams(useSearch()).get('purchase');
  const progress = usePurchase(api, followedId, polling);
  const [wallet, { reload: reloadWallet }] = useResource(
    () => call(api.GET('/api/slots/wallet')),
    [api],
  );
  const { start, purchase, busy } = progress;
  const endedId = purchase && purchase.status !== 'running' ? purchase.id : null;

  // The balance moves during the saga (debit, maybe refund): read it again once it has ended.
  useEffect(() => {
    if (endedId !== null) reloadWallet();
  }, [endedId, reloadWallet]);

  return (
    <>
      <p className="shop__balance">
        Balance{' '}
        <strong data-testid="shop-balance">
          {wallet.state === 'ready' ? wallet.data.balance : '…'}
        </strong>{' '}
        credits
      </p>
      {wallet.state === 'failed' ? (
        <ProblemMessage problem={wallet.problem} onRetry={reloadWallet} />
      ) : null}
      <TitleList
        titles={titles}
        buying={start.state === 'starting' ? start.titleId : null}
        busy={busy}
        onBuy={progress.buy}
      />
      {start.state === 'failed' ? (
        <>
          <ProblemMessage problem={start.problem} />
          {start.retryable ? (
            <p className="muted">
              Press Buy again to retry. The retry carries the same Idempotency-Key, so the server
              will not start a second purchase if your first one did arrive.
            </p>
          ) : null}
        </>
      ) : null}
      {purchase ? (
        <PurchaseSteps
          purchase={purchase}
          problem={progress.problem}
          stillRunning={progress.watch === 'still-running'}
          onLookAgain={progress.lookAgain}
        />
      ) : null}
      {followedId !== null && purchase === null ? (
        <PurchaseLookup problem={progress.problem} onLookAgain={progress.lookAgain} />
      ) : null}
    </>
  );
}

/** The address names a purchase the page has no record of yet: a reload, or a link. */
function PurchaseLookup({
  problem,
  onLookAgain,
}: {
  problem: Problem | null;
  onLookAgain: () => void;
}) {
  if (problem === null) return <p className="loading">Looking up your purchase…</p>;
  if (problem.status === 404) {
    // The API answers 404 alike for an unknown id and another player's purchase: say both.
    return (
      <ProblemMessage
        problem={{
          ...problem,
          title: 'No such purchase',
          detail:
            'The address names no purchase of yours: the link may be incomplete, or the purchase belongs to another player.',
        }}
      />
    );
  }
  return <ProblemMessage problem={problem} onRetry={onLookAgain} />;
}

function TitleList({
  titles,
  buying = null,
  busy = false,
  onBuy,
}: {
  titles: Schemas['Title'][];
  buying?: string | null;
  busy?: boolean;
  onBuy?: (titleId: string) => void;
}) {
  return (
    <ul className="shop__titles" aria-label="Titles on sale">
      {titles.map((title) => (
        <li key={title.id} className="shop__title">
          <span className="shop__name">{title.name}</span>
          <span className="shop__price">{title.price} credits</span>
          {onBuy ? (
            <button
              type="button"
              className="button button--small"
              // aria-disabled, not disabled: the button keeps keyboard focus while the saga runs.
              aria-disabled={busy}
              onClick={() => !busy && onBuy(title.id)}
            >
              {buying === title.id ? 'Buying…' : 'Buy'}{' '}
              <span className="visually-hidden">{title.name}</span>
            </button>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
