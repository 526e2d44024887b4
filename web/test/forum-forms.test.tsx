import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { NewThreadForm } from '../src/features/forum/NewThreadForm.tsx';
import { ReplyForm } from '../src/features/forum/ReplyForm.tsx';
import { fakeFetch, json, renderWithApi } from './fake-api.tsx';

const author = { id: '3f1c7f5e-3a57-4d7e-9a0b-2f8f0d1c2b3a', username: 'alice' };
const threadId = '0b9f3c2e-1d4a-4c5b-8e6f-7a8b9c0d1e2f';

describe('the new thread form', () => {
  it('asks for a title and a message before sending anything', async () => {
    const { fetch, requests } = fakeFetch({});
    renderWithApi(<NewThreadForm onCreated={vi.fn()} />, fetch);

    await userEvent.click(screen.getByRole('button', { name: 'Post thread' }));

    expect(screen.getByText('Give your thread a title.')).toBeInTheDocument();
    expect(screen.getByText('Write something first.')).toBeInTheDocument();
    expect(screen.getByLabelText('Title')).toHaveAttribute('aria-invalid', 'true');
    expect(requests).toHaveLength(0);
  });

  it('sends the trimmed title and the body, then hands over the new thread', async () => {
    const created = {
      id: threadId,
      title: 'Jackpot!',
      author,
      createdAt: '2026-11-22T10:00:00.000Z',
      posts: [],
      nextCursor: null,
    };
    const { fetch, requests } = fakeFetch({ 'POST /api/threads': () => json(201, created) });
    const onCreated = vi.fn();
    renderWithApi(<NewThreadForm onCreated={onCreated} />, fetch);

    await userEvent.type(screen.getByLabelText('Title'), '  Jackpot!  ');
    await userEvent.type(screen.getByLabelText('Message'), 'Three sevens.');
    await userEvent.click(screen.getByRole('button', { name: 'Post thread' }));

    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(created));
    expect(await requests[0]?.json()).toEqual({ title: 'Jackpot!', body: 'Three sevens.' });
    expect(requests[0]?.headers.get('Authorization')).toBe('Bearer a.b.c');
  });

  it('shows the server validation problem field by field', async () => {
    const { fetch } = fakeFetch({
      'POST /api/threads': () =>
        json(
          422,
          {
            type: '/problems/validation',
            title: 'Validation failed',
            status: 422,
            errors: [{ path: 'body', message: 'Too long.' }],
          },
          'application/problem+json',
        ),
    });
    renderWithApi(<NewThreadForm onCreated={vi.fn()} />, fetch);

    await userEvent.type(screen.getByLabelText('Title'), 'Hi');
    await userEvent.type(screen.getByLabelText('Message'), 'Body');
    await userEvent.click(screen.getByRole('button', { name: 'Post thread' }));

    expect(await screen.findByText('Validation failed')).toBeInTheDocument();
    expect(screen.getByText('Too long.')).toBeInTheDocument();
  });
});

describe('the reply form', () => {
  it('refuses an empty reply and posts a written one to its thread', async () => {
    const post = {
      id: author.id,
      threadId,
      body: 'Me too',
      author,
      createdAt: '2026-11-22T10:00:00.000Z',
    };
    const { fetch, requests } = fakeFetch({
      [`POST /api/threads/${threadId}/posts`]: () => json(201, post),
    });
    const onPosted = vi.fn();
    renderWithApi(<ReplyForm threadId={threadId} onPosted={onPosted} />, fetch);

    await userEvent.click(screen.getByRole('button', { name: 'Post reply' }));
    expect(screen.getByText('Write something first.')).toBeInTheDocument();
    expect(requests).toHaveLength(0);

    await userEvent.type(screen.getByLabelText('Your reply'), 'Me too');
    await userEvent.click(screen.getByRole('button', { name: 'Post reply' }));

    await waitFor(() => expect(onPosted).toHaveBeenCalledWith(post));
    expect(await requests[0]?.json()).toEqual({ body: 'Me too' });
    expect(screen.getByLabelText('Your reply')).toHaveValue('');
  });
});
