import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { formatOrdinal } from '../src/features/forum/format.ts';
import { ThreadPage } from '../src/features/forum/ThreadPage.tsx';
import type { Schemas } from '../src/lib/api.ts';
import { fakeFetch, json, renderWithApi } from './fake-api.tsx';

const threadId = '0b9f3c2e-1d4a-4c5b-8e6f-7a8b9c0d1e2f';
const author = { id: '3f1c7f5e-3a57-4d7e-9a0b-2f8f0d1c2b3a', username: 'alice' };

function post(body: string, extra: Partial<Schemas['Post']> = {}): Schemas['Post'] {
  return {
    id: crypto.randomUUID(),
    threadId,
    body,
    author,
    createdAt: '2026-11-22T10:00:00.000Z',
    ...extra,
  };
}

function threadPage(posts: Schemas['Post'][], nextCursor: string | null): Schemas['Thread'] {
  return {
    id: threadId,
    title: 'Jackpot!',
    author,
    createdAt: posts[0]?.createdAt ?? '',
    posts,
    nextCursor,
  };
}

/** Serves the thread in two pages: the first without a cursor, the second for cursor "page-2". */
function twoPageThread() {
  return fakeFetch({
    [`GET /api/threads/${threadId}`]: (request) =>
      new URL(request.url).searchParams.get('cursor') === 'page-2'
        ? json(200, threadPage([post('Third')], null))
        : json(200, threadPage([post('First'), post('Second')], 'page-2')),
    [`POST /api/threads/${threadId}/posts`]: () => json(201, post('My reply')),
  });
}

function shownPosts(): string[] {
  const list = screen.getByRole('list');
  return within(list)
    .getAllByRole('listitem')
    .map((item) => item.querySelector('.post__body')?.textContent ?? '');
}

describe('the thread page', () => {
  it('shows the first page of posts, then loads more replies with the nextCursor', async () => {
    const { fetch, requests } = twoPageThread();
    renderWithApi(<ThreadPage id={threadId} />, fetch);

    await screen.findByText('Second');
    expect(shownPosts()).toEqual(['First', 'Second']);
    await userEvent.click(screen.getByRole('button', { name: 'Load more replies' }));

    await screen.findByText('Third');
    expect(shownPosts()).toEqual(['First', 'Second', 'Third']);
    expect(screen.queryByRole('button', { name: 'Load more replies' })).not.toBeInTheDocument();
    expect(new URL(requests[1]?.url ?? '').searchParams.get('cursor')).toBe('page-2');
  });

  it('shows a reply once, after the older replies, when more pages were still to load', async () => {
    const { fetch } = twoPageThread();
    renderWithApi(<ThreadPage id={threadId} />, fetch);
    await screen.findByText('Second');

    await userEvent.type(screen.getByLabelText('Your reply'), 'My reply');
    await userEvent.click(screen.getByRole('button', { name: 'Post reply' }));
    await waitFor(() => expect(screen.getByLabelText('Your reply')).toHaveValue(''));
    await userEvent.click(screen.getByRole('button', { name: 'Load more replies' }));

    await screen.findByText('Third');
    expect(shownPosts()).toEqual(['First', 'Second', 'Third']);
  });

  it('appends a reply at once when the whole thread is loaded', async () => {
    const { fetch } = fakeFetch({
      [`GET /api/threads/${threadId}`]: () => json(200, threadPage([post('First')], null)),
      [`POST /api/threads/${threadId}/posts`]: () => json(201, post('My reply')),
    });
    renderWithApi(<ThreadPage id={threadId} />, fetch);
    await screen.findByText('First');

    await userEvent.type(screen.getByLabelText('Your reply'), 'My reply');
    await userEvent.click(screen.getByRole('button', { name: 'Post reply' }));

    await screen.findByText('My reply', { selector: '.post__body' });
    expect(shownPosts()).toEqual(['First', 'My reply']);
  });
});

describe("the author's slots leaderboard badge", () => {
  function postItem(body: string): HTMLElement {
    const item = screen.getByText(body, { selector: '.post__body' }).closest('li');
    if (item === null) throw new Error(`no post item holds "${body}"`);
    return item;
  }

  it('shows the place next to the author of a post that carries authorRank', async () => {
    const bob = { id: '6d0a3a8e-0c2f-4f4b-9a55-1b2c3d4e5f60', username: 'bob' };
    const { fetch } = fakeFetch({
      [`GET /api/threads/${threadId}`]: () =>
        json(
          200,
          threadPage([post('Ranked', { authorRank: 3 }), post('Unranked', { author: bob })], null),
        ),
    });
    renderWithApi(<ThreadPage id={threadId} />, fetch);

    await screen.findByText('Ranked');

    const ranked = within(postItem('Ranked'));
    expect(ranked.getByText('#3')).toBeInTheDocument();
    expect(ranked.getByText('3rd on the slots leaderboard')).toHaveClass('visually-hidden');
    const unranked = within(postItem('Unranked'));
    expect(unranked.queryByText(/^#\d+$/)).not.toBeInTheDocument();
    expect(unranked.queryByText(/on the slots leaderboard/)).not.toBeInTheDocument();
  });

  it('renders the thread without badges when no post carries authorRank', async () => {
    // What the forum sends before stage 02, and when the slots service did not answer in time.
    const { fetch } = fakeFetch({
      [`GET /api/threads/${threadId}`]: () =>
        json(200, threadPage([post('First'), post('Second')], null)),
    });
    renderWithApi(<ThreadPage id={threadId} />, fetch);

    await screen.findByText('Second');

    expect(shownPosts()).toEqual(['First', 'Second']);
    expect(screen.queryByText(/^#\d+$/)).not.toBeInTheDocument();
    expect(screen.queryByText(/on the slots leaderboard/)).not.toBeInTheDocument();
  });

  it.each([
    [1, '1st'],
    [2, '2nd'],
    [3, '3rd'],
    [4, '4th'],
    [10, '10th'],
    [11, '11th'],
    [12, '12th'],
    [13, '13th'],
    [21, '21st'],
    [22, '22nd'],
  ])('names place %i "%s"', (place, expected) => {
    expect(formatOrdinal(place)).toBe(expected);
  });
});

describe("the author's title from the shop", () => {
  it('shows the title beside the name of an author who bought one, and nothing for others', async () => {
    const bob = { id: '6d0a3a8e-0c2f-4f4b-9a55-1b2c3d4e5f60', username: 'bob' };
    const { fetch } = fakeFetch({
      [`GET /api/threads/${threadId}`]: () =>
        json(
          200,
          threadPage(
            [
              post('Titled', { authorTitle: 'Lucky Seven', authorRank: 2 }),
              post('Untitled', { author: bob }),
            ],
            null,
          ),
        ),
    });
    renderWithApi(<ThreadPage id={threadId} />, fetch);

    await screen.findByText('Titled');

    const titled = screen.getByText('Titled', { selector: '.post__body' }).closest('li');
    const meta = titled?.querySelector('.post__meta');
    expect(meta?.textContent).toMatch(/^alice titled Lucky Seven #2/);
    expect(within(meta as HTMLElement).getByText('titled')).toHaveClass('visually-hidden');
    const untitled = screen.getByText('Untitled', { selector: '.post__body' }).closest('li');
    expect(untitled?.querySelector('.title-badge')).toBeNull();
    expect(untitled).not.toHaveTextContent('Lucky Seven');
  });
});
