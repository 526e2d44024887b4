import { ProblemMessage } from '../../lib/ProblemMessage.tsx';
import { call } from '../../lib/problem.ts';
import { Link } from '../../lib/router.tsx';
import { useApi, useCurrentSession } from '../../lib/services.tsx';
import { useResource } from '../../lib/use-resource.ts';
import { formatDate } from './format.ts';
import { RankBadge } from './RankBadge.tsx';
import { ReplyForm } from './ReplyForm.tsx';
import { TitleBadge } from './TitleBadge.tsx';
import './forum.css';
import { useLoadMore } from './use-load-more.ts';

const PAGE_SIZE = 50;

/**
 * One thread with its posts, oldest first, one page at a time ("Load more replies" follows
 * nextCursor). Post bodies are plain text: React escapes them.
 */
export function ThreadPage({ id }: { id: string }) {
  const api = useApi();
  const session = useCurrentSession();
  const [thread, { reload, set }] = useResource(
    () =>
      call(api.GET('/api/threads/{id}', { params: { path: { id }, query: { limit: PAGE_SIZE } } })),
    [api, id],
  );
  const more = useLoadMore();

  const loadMore = (cursor: string) =>
    more.run(async () => {
      if (thread.state !== 'ready') return;
      const next = await call(
        api.GET('/api/threads/{id}', {
          params: { path: { id }, query: { limit: PAGE_SIZE, cursor } },
        }),
      );
      set({ ...next, posts: [...thread.data.posts, ...next.posts] });
    });

  return (
    <div className="forum">
      <p>
        <Link href="/forum">← All threads</Link>
      </p>
      {thread.state === 'loading' ? <p className="loading">Loading the thread…</p> : null}
      {thread.state === 'failed' ? (
        <ProblemMessage problem={thread.problem} onRetry={reload} />
      ) : null}
      {thread.state === 'ready' ? (
        <>
          <article className="panel thread" aria-labelledby="thread-heading">
            <h1 id="thread-heading">{thread.data.title}</h1>
            <ol className="posts">
              {thread.data.posts.map((post) => (
                <li key={post.id} className="post">
                  <p className="post__meta">
                    <strong>{post.author.username}</strong>
                    {post.authorTitle !== undefined ? (
                      <>
                        {' '}
                        <TitleBadge title={post.authorTitle} />
                      </>
                    ) : null}
                    {post.authorRank !== undefined ? (
                      <>
                        {' '}
                        <RankBadge rank={post.authorRank} />
                      </>
                    ) : null}{' '}
                    · <time dateTime={post.createdAt}>{formatDate(post.createdAt)}</time>
                  </p>
                  <p className="post__body">{post.body}</p>
                </li>
              ))}
            </ol>
            {more.problem ? <ProblemMessage problem={more.problem} /> : null}
            {thread.data.nextCursor !== null ? (
              <button
                type="button"
                className="button button--secondary"
                aria-disabled={more.loading}
                onClick={() =>
                  thread.data.nextCursor && !more.loading && loadMore(thread.data.nextCursor)
                }
              >
                {more.loading ? 'Loading…' : 'Load more replies'}
              </button>
            ) : null}
          </article>
          {session ? (
            <ReplyForm
              threadId={id}
              onPosted={(post) => {
                // A reply is the newest post: append it only once the last page is loaded, or
                // it would sit above older replies and then arrive again with "Load more".
                if (thread.data.nextCursor === null) {
                  set({ ...thread.data, posts: [...thread.data.posts, post] });
                }
              }}
            />
          ) : (
            <p className="panel">
              <Link href="/login">Log in</Link> to reply.
            </p>
          )}
        </>
      ) : null}
    </div>
  );
}
