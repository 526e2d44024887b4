import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatDuration } from '../src/features/shop/PurchaseSteps.tsx';
import { ShopPage } from '../src/features/shop/ShopPage.tsx';
import {
  POLL_SCHEDULE,
  type PollSchedule,
  purchasePath,
} from '../src/features/shop/use-purchase.ts';
import type { Schemas } from '../src/lib/api.ts';
import {
  expectRetriedWithTheSameKey,
  fakeFetch,
  json,
  problem,
  renderWithApi,
} from './fake-api.tsx';

type Purchase = Schemas['Purchase'];
type Step = Schemas['PurchaseStep'];

const titles: Schemas['Title'][] = [
  { id: 'lucky-seven', name: 'Lucky Seven', price: 100 },
  { id: 'high-roller', name: 'High Roller', price: 500 },
];
const purchaseId = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';
/** Fast polling, so a test sees each state the fake server moves to within a few milliseconds. */
const FAST: PollSchedule = { firstDelayMs: 5, maxDelayMs: 5, giveUpAfterMs: 60_000 };

function purchase(status: Purchase['status'], steps: Step[], reason?: string): Purchase {
  return {
    id: purchaseId,
    titleId: 'lucky-seven',
    title: 'Lucky Seven',
    price: 100,
    status,
    ...(reason ? { reason } : {}),
    createdAt: '2026-12-06T10:00:00.000Z',
    updatedAt: '2026-12-06T10:00:01.000Z',
    steps,
  };
}

function step(
  name: Step['step'],
  attempt: number,
  status: Step['status'],
  detail?: string,
  durationMs = 40,
): Step {
  const startedAt = '2026-12-06T10:00:00.000Z';
  return {
    step: name,
    attempt,
    status,
    ...(detail ? { detail } : {}),
    startedAt,
    ...(status === 'running'
      ? {}
      : { endedAt: new Date(Date.parse(startedAt) + durationMs).toISOString() }),
  };
}

/**
 * The slots API as far as the shop uses it. The test moves the purchase's record from state to
 * state with `show`, the way the saga's steps update it; every GET answers the current state.
 */
function shopServer(first: Purchase = purchase('running', [])) {
  let current = first;
  let balance = 1000;
  const readTimes: number[] = [];
  const server = fakeFetch({
    'GET /api/slots/titles': () => json(200, { items: titles }),
    'GET /api/slots/wallet': () => json(200, { balance }),
    'POST /api/slots/purchases': () => json(202, current),
    [`GET /api/slots/purchases/${purchaseId}`]: () => {
      readTimes.push(Date.now());
      return json(200, current);
    },
  });
  return {
    ...server,
    /** When each read of the record arrived (Date.now(): fake time under fake timers). */
    readTimes,
    show(next: Purchase, nextBalance = balance) {
      current = next;
      balance = nextBalance;
    },
    reads: () =>
      server.requests.filter((r) => r.method === 'GET' && r.url.includes('/purchases/')).length,
  };
}

function stepRows(): string[] {
  const list = screen.getByRole('list', { name: 'Steps of the purchase' });
  return within(list)
    .getAllByRole('listitem')
    .map((row) => `${row.dataset.step} ${row.dataset.status}`);
}

async function buyLuckySeven() {
  await userEvent.click(await screen.findByRole('button', { name: 'Buy Lucky Seven' }));
}

describe('the titles shop', () => {
  it('lists the titles on sale with their prices and a Buy button named after each', async () => {
    const { fetch } = shopServer();
    renderWithApi(<ShopPage polling={FAST} />, fetch);

    const list = await screen.findByRole('list', { name: 'Titles on sale' });

    const rows = within(list).getAllByRole('listitem');
    expect(rows.map((row) => row.textContent)).toEqual([
      'Lucky Seven100 creditsBuy Lucky Seven',
      'High Roller500 creditsBuy High Roller',
    ]);
    expect(screen.getByRole('button', { name: 'Buy High Roller' })).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('shop-balance')).toHaveTextContent('1000'));
  });

  it('shows the titles without Buy buttons to a visitor who is not logged in', async () => {
    const { fetch } = shopServer();
    renderWithApi(<ShopPage polling={FAST} />, fetch, { loggedIn: false });

    await screen.findByText('Lucky Seven');

    expect(screen.queryByRole('button', { name: /^Buy/ })).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Log in' })).toHaveAttribute('href', '/login');
  });

  it('says where the shop opens, not an error, when the stage has no titles API (404)', async () => {
    const { fetch } = fakeFetch({}); // every path answers 404, as before stage 04

    renderWithApi(<ShopPage polling={FAST} />, fetch);

    expect(await screen.findByTestId('shop-closed')).toHaveTextContent(
      'The titles shop opens in stage 04',
    );
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows the problem when the titles API is there but down (503)', async () => {
    const { fetch } = fakeFetch({
      'GET /api/slots/titles': () => problem(503, 'Service Unavailable', 'Try again shortly.'),
    });

    renderWithApi(<ShopPage polling={FAST} />, fetch);

    expect(await screen.findByRole('alert')).toHaveTextContent('Service Unavailable');
    expect(screen.queryByTestId('shop-closed')).not.toBeInTheDocument();
  });
});

afterEach(() => {
  vi.useRealTimers();
  window.history.replaceState(null, '', '/');
});

describe('a purchase in the shop', () => {
  it('draws each step attempt as the record changes, until "You are now Lucky Seven"', async () => {
    const server = shopServer();
    renderWithApi(<ShopPage polling={FAST} />, server.fetch);
    await buyLuckySeven();
    const status = await screen.findByRole('status');
    expect(status).toHaveTextContent('Buying Lucky Seven: starting…');

    server.show(purchase('running', [step('debit', 1, 'running')]));
    await waitFor(() => expect(stepRows()).toEqual(['debit running']));
    expect(status).toHaveTextContent('Buying Lucky Seven: debit the credits, attempt 1…');

    server.show(
      purchase('running', [
        step('debit', 1, 'succeeded', '100 credits debited'),
        step('grant', 1, 'failed', 'The forum did not answer', 1500),
        step('grant', 2, 'running'),
      ]),
    );
    await waitFor(() =>
      expect(stepRows()).toEqual(['debit succeeded', 'grant failed', 'grant running']),
    );
    expect(status).toHaveTextContent('grant the title, attempt 2…');
    expect(screen.getByRole('button', { name: 'Buy High Roller' })).toHaveAttribute(
      'aria-disabled',
      'true',
    );

    server.show(
      purchase('completed', [
        step('debit', 1, 'succeeded', '100 credits debited'),
        step('grant', 1, 'failed', 'The forum did not answer', 1500),
        step('grant', 2, 'succeeded', 'Lucky Seven granted'),
      ]),
      900,
    );
    await waitFor(() => expect(status).toHaveTextContent('You are now Lucky Seven.'));

    const retried = screen.getByText('The forum did not answer').closest('li');
    expect(retried).toHaveTextContent('failedattempt 11.5 s');
    expect(stepRows()).toEqual(['debit succeeded', 'grant failed', 'grant succeeded']);
    await waitFor(() => expect(screen.getByTestId('shop-balance')).toHaveTextContent('900'));
    expect(screen.getByRole('button', { name: 'Buy High Roller' })).toHaveAttribute(
      'aria-disabled',
      'false',
    );
  });

  it('stops reading the record once the purchase has ended', async () => {
    const server = shopServer(purchase('running', [step('debit', 1, 'running')]));
    renderWithApi(<ShopPage polling={FAST} />, server.fetch);
    await buyLuckySeven();
    server.show(purchase('completed', [step('grant', 1, 'succeeded')]));
    await screen.findByText(/You are now Lucky Seven/);
    const readsAtEnd = server.reads();

    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(server.reads()).toBe(readsAtEnd);
  });

  it('stops reading the record when the page goes away', async () => {
    const server = shopServer(purchase('running', [step('debit', 1, 'running')]));
    const view = renderWithApi(<ShopPage polling={FAST} />, server.fetch);
    await buyLuckySeven();
    await waitFor(() => expect(server.reads()).toBeGreaterThan(1));

    view.unmount();
    const readsAtUnmount = server.reads();
    await new Promise((resolve) => setTimeout(resolve, 100));

    // At most the one read already on its way when the page went; none scheduled after it.
    expect(server.reads()).toBeLessThanOrEqual(readsAtUnmount + 1);
  });

  it('marks the compensation and says the credits are back when the title was refused', async () => {
    const server = shopServer(
      purchase(
        'refunded',
        [
          step('debit', 1, 'succeeded', '100 credits debited'),
          step('grant', 1, 'failed', 'You already hold Lucky Seven'),
          step('cancelGrant', 1, 'succeeded', 'Grant cancelled'),
          step('refund', 1, 'succeeded', '100 credits refunded'),
        ],
        'Lucky Seven could not be granted; the 100 credits are back.',
      ),
    );
    renderWithApi(<ShopPage polling={FAST} />, server.fetch);

    await buyLuckySeven();

    expect(await screen.findByRole('status')).toHaveTextContent(
      // The record's own words, once (not framed by a sentence saying the same).
      /^Lucky Seven could not be granted; the 100 credits are back\.$/,
    );
    expect(stepRows()).toEqual([
      'debit succeeded',
      'grant failed',
      'cancelGrant succeeded',
      'refund succeeded',
    ]);
    const cancel = screen.getByText('Make sure the title is not granted').closest('li');
    expect(cancel).toHaveClass('purchase-step--compensation');
    expect(within(cancel as HTMLElement).getByText('compensation')).toBeInTheDocument();
    const debit = screen.getByText('Debit the credits').closest('li');
    expect(debit).not.toHaveClass('purchase-step--compensation');
  });

  it('says nothing was debited when there were not enough credits', async () => {
    const server = shopServer(
      purchase(
        'rejected',
        [step('debit', 1, 'succeeded', 'Not enough credits')],
        'Not enough credits: Lucky Seven costs 100, the wallet holds 40.',
      ),
    );
    renderWithApi(<ShopPage polling={FAST} />, server.fetch);

    await buyLuckySeven();

    expect(await screen.findByRole('status')).toHaveTextContent(
      /^Nothing was debited\. Not enough credits: Lucky Seven costs 100, the wallet holds 40\.$/,
    );
  });

  it("says a failed purchase could not finish normally, in the record's words after ours", async () => {
    const server = shopServer(
      purchase(
        'failed',
        [step('refund', 20, 'failed', 'The database did not answer')],
        'The saga failed at refund: 100 credits are held until it is redriven.',
      ),
    );
    renderWithApi(<ShopPage polling={FAST} />, server.fetch);

    await buyLuckySeven();

    expect(await screen.findByRole('status')).toHaveTextContent(
      /^The purchase ended without the title and could not finish normally; the steps below show where it stopped\. The saga failed at refund: 100 credits are held until it is redriven\.$/,
    );
  });

  it('retries a Buy that hit a network error with the same Idempotency-Key', async () => {
    let attempts = 0;
    const { fetch, requests } = fakeFetch({
      'GET /api/slots/titles': () => json(200, { items: titles }),
      'GET /api/slots/wallet': () => json(200, { balance: 1000 }),
      'POST /api/slots/purchases': () => {
        attempts += 1;
        if (attempts === 1) throw new TypeError('Failed to fetch');
        return json(202, purchase('completed', []));
      },
    });
    renderWithApi(<ShopPage polling={FAST} />, fetch);

    await buyLuckySeven();
    expect(await screen.findByText('Network error')).toBeInTheDocument();
    await buyLuckySeven();
    await screen.findByText(/You are now Lucky Seven/);

    expectRetriedWithTheSameKey(requests);
  });

  it('keeps following the purchase through a transient read failure', async () => {
    let failNext = false;
    const server = shopServer(purchase('running', [step('debit', 1, 'running')]));
    const { fetch } = fakeFetch({
      'GET /api/slots/titles': () => json(200, { items: titles }),
      'GET /api/slots/wallet': () => json(200, { balance: 1000 }),
      'POST /api/slots/purchases': (request) => server.fetch(request),
      [`GET /api/slots/purchases/${purchaseId}`]: (request) => {
        if (failNext) return problem(503, 'Service Unavailable');
        return server.fetch(request);
      },
    });
    renderWithApi(<ShopPage polling={FAST} />, fetch);
    await buyLuckySeven();

    failNext = true;
    expect(await screen.findByRole('alert')).toHaveTextContent('Service Unavailable');
    failNext = false;
    server.show(purchase('completed', [step('grant', 1, 'succeeded')]));

    await screen.findByText(/You are now Lucky Seven/);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it.each([
    ['2026-12-06T10:00:00.000Z', '2026-12-06T10:00:00.045Z', '45 ms'],
    ['2026-12-06T10:00:00.000Z', '2026-12-06T10:00:01.250Z', '1.3 s'],
  ])('shows a step from %s to %s as "%s"', (startedAt, endedAt, expected) => {
    expect(formatDuration(startedAt, endedAt)).toBe(expected);
  });
});

/** Moves fake time on, letting every answer and render that falls due run on the way. */
async function elapse(ms: number) {
  await act(() => vi.advanceTimersByTimeAsync(ms));
}

describe('following a purchase over time', () => {
  it('reads the record less and less often, then stops after two minutes and says it is still running', async () => {
    vi.useFakeTimers();
    const server = shopServer(purchase('running', [step('debit', 1, 'running')]));
    renderWithApi(<ShopPage />, server.fetch);
    await elapse(0);
    const boughtAt = Date.now();
    fireEvent.click(screen.getByRole('button', { name: 'Buy Lucky Seven' }));

    await elapse(130_000);

    const since = server.readTimes.map((at, i) => at - (server.readTimes[i - 1] ?? boughtAt));
    // 0.5 s, doubling while nothing has ended, up to 5 s between reads.
    expect(since.slice(0, 5)).toEqual([500, 1000, 2000, 4000, 5000]);
    expect(new Set(since.slice(5))).toEqual(new Set([5000]));
    const lastRead = (server.readTimes.at(-1) ?? boughtAt) - boughtAt;
    expect(lastRead).toBeGreaterThanOrEqual(POLL_SCHEDULE.giveUpAfterMs);
    expect(lastRead).toBeLessThan(POLL_SCHEDULE.giveUpAfterMs + POLL_SCHEDULE.maxDelayMs);
    expect(screen.getByTestId('purchase-still-running')).toHaveTextContent(
      'Still running: the saga retries for a while; come back to this page later.',
    );
    expect(screen.getByRole('button', { name: 'Look again' })).toBeInTheDocument();
    // The page no longer follows it, so another purchase may start.
    expect(screen.getByRole('button', { name: 'Buy High Roller' })).toHaveAttribute(
      'aria-disabled',
      'false',
    );

    const readsWhenStopped = server.reads();
    await elapse(600_000);

    expect(server.reads()).toBe(readsWhenStopped);
  });

  it('looks again at once when asked, and follows the purchase to its end', async () => {
    const server = shopServer(purchase('running', [step('refund', 3, 'failed')]));
    renderWithApi(
      <ShopPage polling={{ firstDelayMs: 5, maxDelayMs: 5, giveUpAfterMs: 20 }} />,
      server.fetch,
    );
    await buyLuckySeven();
    const lookAgain = await screen.findByRole('button', { name: 'Look again' });
    const readsWhenStopped = server.reads();

    server.show(purchase('refunded', [step('refund', 4, 'succeeded')]));
    await userEvent.click(lookAgain);

    expect(await screen.findByTestId('purchase-status')).toHaveTextContent(
      'Lucky Seven could not be granted, so your 100 credits are back.',
    );
    expect(server.reads()).toBe(readsWhenStopped + 1);
    expect(screen.queryByTestId('purchase-still-running')).not.toBeInTheDocument();
  });

  it('puts the purchase in the address when Buy is pressed', async () => {
    window.history.replaceState(null, '', '/shop');
    const historyBefore = window.history.length;
    const server = shopServer();
    renderWithApi(<ShopPage polling={FAST} />, server.fetch);

    await buyLuckySeven();

    await waitFor(() =>
      expect(window.location.pathname + window.location.search).toBe(purchasePath(purchaseId)),
    );
    // Replaced, not pushed: Back still leaves the shop.
    expect(window.history.length).toBe(historyBefore);
  });

  it('follows the purchase the address names after a reload, without buying again', async () => {
    window.history.replaceState(null, '', purchasePath(purchaseId));
    const server = shopServer(
      purchase('running', [step('debit', 1, 'succeeded'), step('grant', 2, 'running')]),
    );

    renderWithApi(<ShopPage polling={FAST} />, server.fetch);

    expect(await screen.findByTestId('purchase-status')).toHaveTextContent(
      'Buying Lucky Seven: grant the title, attempt 2…',
    );
    server.show(
      purchase('completed', [step('debit', 1, 'succeeded'), step('grant', 2, 'succeeded')]),
    );
    await screen.findByText(/You are now Lucky Seven/);
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('shows an ended purchase from a link with one read', async () => {
    window.history.replaceState(null, '', purchasePath(purchaseId));
    const server = shopServer(purchase('completed', [step('grant', 1, 'succeeded')]));

    renderWithApi(<ShopPage polling={FAST} />, server.fetch);

    await screen.findByText(/You are now Lucky Seven/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.reads()).toBe(1);
  });

  it('says plainly when the address names no purchase of yours (404), and reads it no more', async () => {
    window.history.replaceState(null, '', purchasePath(purchaseId));
    const server = fakeFetch({
      'GET /api/slots/titles': () => json(200, { items: titles }),
      'GET /api/slots/wallet': () => json(200, { balance: 1000 }),
      [`GET /api/slots/purchases/${purchaseId}`]: () =>
        problem(404, 'Not Found', 'No such purchase.'),
    });

    renderWithApi(<ShopPage polling={FAST} />, server.fetch);

    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('No such purchase');
    expect(alert).toHaveTextContent(
      'The address names no purchase of yours: the link may be incomplete, or the purchase belongs to another player.',
    );
    expect(within(alert).queryByRole('button')).not.toBeInTheDocument();
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Buy Lucky Seven' })).toHaveAttribute(
        'aria-disabled',
        'false',
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.requests.filter((r) => r.url.includes('/purchases/'))).toHaveLength(1);
  });
});
