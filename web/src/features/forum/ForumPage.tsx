import { useState } from 'react';
import { ProblemMessage } from '../../lib/ProblemMessage.tsx';
import { asProblem, call, type Problem } from '../../lib/problem.ts';
import { Link, navigate } from '../../lib/router.tsx';
import { useApi, useCurrentSession } from '../../lib/services.tsx';
import { useResource } from '../../lib/use-resource.ts';
import { formatDate } from './format.ts';
import { NewThreadForm } from './NewThreadForm.tsx';
import './forum.css';

const PAGE_SIZE = 20;

/** The thread list, newest first, one page at a time ("Load more" follows nextCursor). */
export function ForumPage() {
  const api = useApi();
  const session = useCurrentSession();
  const [page, { reload, set }] = useResource(
    () => call(api.GET('/api/threads', { params: { query: { limit: PAGE_SIZE } } })),
    [api],
  );
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreProblem, setMoreProblem] = useState<Problem | null>(null);

  const loadMore = async (cursor: string) => {
    if (page.state !== 'ready') return;
    setLoadingMore(true);
    setMoreProblem(null);
    try {
      const next = await call(
        api.GET('/api/threads', { params: { query: { limit: PAGE_SIZE, cursor } } }),
      );
      set({ items: [...page.data.items, ...next.items], nextCursor: next.nextCursor });
    } catch (error) {
      setMoreProblem(asProblem(error));
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <div className="forum">
      <section className="panel" aria-labelledby="forum-heading">
        <h1 id="forum-heading">Forum</h1>
        {page.state === 'loading' ? <p className="loading">Loading threads…</p> : null}
        {page.state === 'failed' ? (
          <ProblemMessage problem={page.problem} onRetry={reload} />
        ) : null}
        {page.state === 'ready' && page.data.items.length === 0 ? (
          <p className="muted">No threads yet. Start the first one!</p>
        ) : null}
        {page.state === 'ready' && page.data.items.length > 0 ? (
          <ul className="thread-list">
            {page.data.items.map((thread) => (
              <li key={thread.id} className="thread-list__item">
                <Link href={`/forum/${thread.id}`} className="thread-list__title">
                  {thread.title}
                </Link>
                <span className="thread-list__meta">
                  by <strong>{thread.author.username}</strong> ·{' '}
                  {thread.postCount === 1 ? '1 post' : `${thread.postCount} posts`} · last{' '}
                  {formatDate(thread.lastPostAt)}
                </span>
              </li>
            ))}
          </ul>
        ) : null}
        {moreProblem ? <ProblemMessage problem={moreProblem} /> : null}
        {page.state === 'ready' && page.data.nextCursor !== null ? (
          <button
            type="button"
            className="button button--secondary"
            aria-disabled={loadingMore}
            onClick={() => page.data.nextCursor && !loadingMore && loadMore(page.data.nextCursor)}
          >
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        ) : null}
      </section>
      {session ? (
        <NewThreadForm onCreated={(thread) => navigate(`/forum/${thread.id}`)} />
      ) : (
        <p className="panel">
          <Link href="/login">Log in</Link> to start a thread or reply.
        </p>
      )}
    </div>
  );
}
