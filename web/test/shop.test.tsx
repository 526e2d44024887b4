import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../src/features/shop/PurchaseSteps.tsx';
import { ShopPage } from '../src/features/shop/ShopPage.tsx';
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
const POLL_MS = 5;

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
  const server = fakeFetch({
    'GET /api/slots/titles': () => json(200, { items: titles }),
    'GET /api/slots/wallet': () => json(200, { balance }),
    'POST /api/slots/purchases': () => json(202, current),
    [`GET /api/slots/purchases/${purchaseId}`]: () => json(200, current),
  });
  return {
    ...server,
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
    renderWithApi(<ShopPage pollIntervalMs={POLL_MS} />, fetch);

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
    renderWithApi(<ShopPage pollIntervalMs={POLL_MS} />, fetch, { loggedIn: false });

    await screen.findByText('Lucky Seven');

    expect(screen.queryByRole('button', { name: /^Buy/ })).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Log in' })).toHaveAttribute('href', '/login');
  });

  it('says where the shop opens, not an error, when the stage has no titles API (404)', async () => {
    const { fetch } = fakeFetch({}); // every path answers 404, as before stage 04

    renderWithApi(<ShopPage pollIntervalMs={POLL_MS} />, fetch);

    expect(await screen.findByTestId('shop-closed')).toHaveTextContent(
      'The titles shop opens in stage 04',
    );
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows the problem when the titles API is there but down (503)', async () => {
    const { fetch } = fakeFetch({
      'GET /api/slots/titles': () => problem(503, 'Service Unavailable', 'Try again shortly.'),
    });

    renderWithApi(<ShopPage pollIntervalMs={POLL_MS} />, fetch);

    expect(await screen.findByRole('alert')).toHaveTextContent('Service Unavailable');
    expect(screen.queryByTestId('shop-closed')).not.toBeInTheDocument();
  });
});

describe('a purchase in the shop', () => {
  it('draws each step attempt as the record changes, until "You are now Lucky Seven"', async () => {
    const server = shopServer();
    renderWithApi(<ShopPage pollIntervalMs={POLL_MS} />, server.fetch);
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
    renderWithApi(<ShopPage pollIntervalMs={POLL_MS} />, server.fetch);
    await buyLuckySeven();
    server.show(purchase('completed', [step('grant', 1, 'succeeded')]));
    await screen.findByText(/You are now Lucky Seven/);
    const readsAtEnd = server.reads();

    await new Promise((resolve) => setTimeout(resolve, POLL_MS * 20));

    expect(server.reads()).toBe(readsAtEnd);
  });

  it('stops reading the record when the page goes away', async () => {
    const server = shopServer(purchase('running', [step('debit', 1, 'running')]));
    const view = renderWithApi(<ShopPage pollIntervalMs={POLL_MS} />, server.fetch);
    await buyLuckySeven();
    await waitFor(() => expect(server.reads()).toBeGreaterThan(1));

    view.unmount();
    const readsAtUnmount = server.reads();
    await new Promise((resolve) => setTimeout(resolve, POLL_MS * 20));

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
    renderWithApi(<ShopPage pollIntervalMs={POLL_MS} />, server.fetch);

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
    renderWithApi(<ShopPage pollIntervalMs={POLL_MS} />, server.fetch);

    await buyLuckySeven();

    expect(await screen.findByRole('status')).toHaveTextContent(
      /^Nothing was debited\. Not enough credits: Lucky Seven costs 100, the wallet holds 40\.$/,
    );
  });

  it('says where a failed compensation stopped', async () => {
    const server = shopServer(
      purchase('failed', [step('refund', 4, 'failed', 'The database did not answer')]),
    );
    renderWithApi(<ShopPage pollIntervalMs={POLL_MS} />, server.fetch);

    await buyLuckySeven();

    expect(await screen.findByRole('status')).toHaveTextContent(
      'The purchase could not finish undoing itself; the steps below show where it stopped.',
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
    renderWithApi(<ShopPage pollIntervalMs={POLL_MS} />, fetch);

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
    renderWithApi(<ShopPage pollIntervalMs={POLL_MS} />, fetch);
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
