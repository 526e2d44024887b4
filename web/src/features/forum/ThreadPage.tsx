import { ProblemMessage } from '../../lib/ProblemMessage.tsx';
import { call } from '../../lib/problem.ts';
import { Link } from '../../lib/router.tsx';
import { useApi, useCurrentSession } from '../../lib/services.tsx';
import { useResource } from '../../lib/use-resource.ts';
import { formatDate } from './format.ts';
import { ReplyForm } from './ReplyForm.tsx';
import './forum.css';

/** One thread with its posts, oldest first. Post bodies are plain text: React escapes them. */
export function ThreadPage({ id }: { id: string }) {
  const api = useApi();
  const session = useCurrentSession();
  const [thread, { reload, set }] = useResource(
    () => call(api.GET('/api/threads/{id}', { params: { path: { id } } })),
    [api, id],
  );

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
                    <strong>{post.author.username}</strong> ·{' '}
                    <time dateTime={post.createdAt}>{formatDate(post.createdAt)}</time>
                  </p>
                  <p className="post__body">{post.body}</p>
                </li>
              ))}
            </ol>
          </article>
          {session ? (
            <ReplyForm
              threadId={id}
              onPosted={(post) => set({ ...thread.data, posts: [...thread.data.posts, post] })}
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
