import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { SlotsPage } from '../src/features/slots/SlotsPage.tsx';
import {
  expectRetriedWithTheSameKey,
  fakeFetch,
  json,
  machine,
  problem,
  renderWithApi,
  spin,
} from './fake-api.tsx';

function slotsServer(postSpin: (request: Request) => Response | Promise<Response>) {
  return fakeFetch({
    'GET /api/slots/machine': () => json(200, machine),
    'GET /api/slots/wallet': () => json(200, { balance: 1000 }),
    'GET /api/slots/spins': () => json(200, { items: [] }),
    'POST /api/slots/spins': postSpin,
  });
}

describe('the slot machine', () => {
  it('lands the reels on the symbols the server returned and announces the result', async () => {
    const result = spin({
      reels: ['seven', 'seven', 'seven'],
      bet: 10,
      payout: 1000,
      balance: 1990,
    });
    const { fetch } = slotsServer(() => json(201, result));
    renderWithApi(<SlotsPage />, fetch);

    await userEvent.click(await screen.findByRole('button', { name: 'Spin' }));

    expect(await screen.findByRole('img', { name: 'Reel 1: Seven' })).toBeInTheDocument();
    expect(screen.getByRole('img', { name: 'Reel 2: Seven' })).toBeInTheDocument();
    expect(screen.getByRole('img', { name: 'Reel 3: Seven' })).toBeInTheDocument();
    expect(screen.getByTestId('spin-result')).toHaveTextContent(
      'Seven, Seven, Seven. You won 1000 credits! Balance: 1990.',
    );
    expect(screen.getByTestId('balance')).toHaveTextContent('1990');
  });

  it('retries a spin that hit a network error with the same Idempotency-Key', async () => {
    let attempts = 0;
    const { fetch, requests } = slotsServer(() => {
      attempts += 1;
      if (attempts === 1) throw new TypeError('Failed to fetch');
      return json(201, spin({ balance: 990 }));
    });
    renderWithApi(<SlotsPage />, fetch);
    const button = await screen.findByRole('button', { name: 'Spin' });

    await userEvent.click(button);
    expect(await screen.findByText('Network error')).toBeInTheDocument();
    await userEvent.click(button);
    await waitFor(() => expect(screen.getByTestId('balance')).toHaveTextContent('990'));

    expectRetriedWithTheSameKey(requests);
  });

  it('uses a fresh Idempotency-Key once a spin has been answered', async () => {
    const { fetch, requests } = slotsServer(() => json(201, spin()));
    renderWithApi(<SlotsPage />, fetch);
    const button = await screen.findByRole('button', { name: 'Spin' });

    await userEvent.click(button);
    await screen.findByText(/No win this time/);
    await userEvent.click(button);
    await waitFor(() => expect(requests.filter((r) => r.method === 'POST')).toHaveLength(2));

    const [first, second] = requests.filter((r) => r.method === 'POST');
    expect(first?.headers.get('Idempotency-Key')).not.toBe(second?.headers.get('Idempotency-Key'));
  });

  it('explains an insufficient-credits refusal in plain words', async () => {
    const { fetch } = slotsServer(() =>
      problem(
        409,
        'Insufficient credits',
        'The balance 3 does not cover a bet of 10.',
        '/problems/insufficient-credits',
      ),
    );
    renderWithApi(<SlotsPage />, fetch);

    await userEvent.click(await screen.findByRole('button', { name: 'Spin' }));

    expect(await screen.findByText('Insufficient credits')).toBeInTheDocument();
    expect(screen.getByText('The balance 3 does not cover a bet of 10.')).toBeInTheDocument();
    expect(screen.getByTestId('balance')).toHaveTextContent('1000');
  });

  it('shows only its own failure when the slots backend is down', async () => {
    const { fetch } = fakeFetch({
      'GET /api/slots/machine': () =>
        problem(503, 'Service Unavailable', 'The database is not reachable.'),
    });
    renderWithApi(<SlotsPage />, fetch);

    expect(await screen.findByText('Service Unavailable')).toBeInTheDocument();
    expect(screen.getByText('The database is not reachable.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });
});
