import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { LeaderboardPage } from '../src/features/leaderboard/LeaderboardPage.tsx';
import { fakeFetch, json, renderWithApi } from './fake-api.tsx';

const items = [
  { rank: 1, userId: '6d0a3a8e-0c2f-4f4b-9a55-1b2c3d4e5f60', username: 'bob', balance: 1200 },
];

describe('the leaderboard', () => {
  it('says how fresh it is when the server says (asOf, from stage 04)', async () => {
    const asOf = '2026-12-06T12:00:05.000Z';
    const { fetch } = fakeFetch({
      'GET /api/slots/leaderboard': () => json(200, { items, asOf }),
    });
    renderWithApi(<LeaderboardPage />, fetch);

    const time = await screen.findByText((_text, element) => element?.tagName === 'TIME');

    expect(time).toHaveAttribute('datetime', asOf);
    expect(time.closest('p')).toHaveTextContent(/^As of .+: the newest game event it reflects$/);
  });

  it('says nothing about freshness when the server does not (stages 00 to 03)', async () => {
    const { fetch } = fakeFetch({ 'GET /api/slots/leaderboard': () => json(200, { items }) });
    renderWithApi(<LeaderboardPage />, fetch);

    expect(await screen.findByText('bob')).toBeInTheDocument();
    expect(screen.queryByText(/^As of/)).not.toBeInTheDocument();
  });
});
