import { ProblemMessage } from '../../lib/ProblemMessage.tsx';
import { call } from '../../lib/problem.ts';
import { Link, navigate } from '../../lib/router.tsx';
import { useApi, useCurrentSession } from '../../lib/services.tsx';
import { useResource } from '../../lib/use-resource.ts';
import { formatDate } from './format.ts';
import { NewThreadForm } from './NewThreadForm.tsx';
import './forum.css';
import { useLoadMore } from './use-load-more.ts';

const PAGE_SIZE = 20;

/** The thread list, newest first, one page at a time ("Load more" follows nextCursor). */
export function ForumPage() {
  const api = useApi();
  const session = useCurrentSession();
  const [page, { reload, set }] = useResource(
    () => call(api.GET('/api/threads', { params: { query: { limit: PAGE_SIZE } } })),
    [api],
  );
  const more = useLoadMore();

  const loadMore = (cursor: string) =>
    more.run(async () => {
      if (page.state !== 'ready') return;
      const next = await call(
        api.GET('/api/threads', { params: { query: { limit: PAGE_SIZE, cursor } } }),
      );
      set({ items: [...page.data.items, ...next.items], nextCursor: next.nextCursor });
    });

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
        {more.problem ? <ProblemMessage problem={more.problem} /> : null}
        {page.state === 'ready' && page.data.nextCursor !== null ? (
          <button
            type="button"
            className="button button--secondary"
            aria-disabled={more.loading}
            onClick={() => page.data.nextCursor && !more.loading && loadMore(page.data.nextCursor)}
          >
            {more.loading ? 'Loading…' : 'Load more'}
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
