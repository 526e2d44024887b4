import {
  currentUser,
  exactRouter,
  type Logger,
  parseBody,
  parseQuery,
  problems,
  requireAuth,
  type TokenVerifier,
} from '@course/service-kit';
import type { Request, Response, Router } from 'express';
import {
  decodeCursor,
  encodeCursor,
  newPostSchema,
  newThreadSchema,
  type PageMark,
  type Post,
  threadIdSchema,
  threadListQuerySchema,
  threadQuerySchema,
} from './domain.ts';
import type { ForumStore } from './store.ts';

/** Leaderboard places by author id, for the badges on a thread page. */
export type AuthorRanks = (
  authorIds: readonly string[],
  context: { requestId: string; log: Logger },
) => Promise<ReadonlyMap<string, number>>;

export interface ForumDeps {
  store: ForumStore;
  verifier: TokenVerifier;
  /**
   * Where the badges come from. The monolith has none; stage 02's forum asks the slots service.
   * It must never throw: a thread page without badges is better than no thread page.
   */
  authorRanks?: AuthorRanks;
}

/** A malformed id can never name a thread, so it is a 404 like any unknown id. */
function threadIdFrom(req: Request): string {
  const parsed = threadIdSchema.safeParse(req.params.id);
  if (!parsed.success) throw problems.notFound('No such thread.');
  return parsed.data;
}

/** Where a page starts: null without a cursor; 400 for a cursor this API never issued. */
function pageStart(cursor: string | undefined): PageMark | null {
  if (cursor === undefined) return null;
  const after = decodeCursor(cursor);
  if (!after) throw problems.badRequest('The cursor is not valid.');
  return after;
}

function nextCursor(next: PageMark | null): string | null {
  return next ? encodeCursor(next) : null;
}

export function forumRoutes({ store, verifier, authorRanks }: ForumDeps): Router {
  const auth = requireAuth(verifier);

  async function list(req: Request, res: Response) {
    const query = parseQuery(threadListQuerySchema, req.query);
    const page = await store.listThreads({ limit: query.limit, after: pageStart(query.cursor) });
    res.json({ items: page.items, nextCursor: nextCursor(page.next) });
  }

  async function create(req: Request, res: Response) {
    const { title, body } = parseBody(newThreadSchema, req.body);
    const thread = await store.insertThread({ author: currentUser(res), title, body });
    // The same Thread shape as GET: a new thread has one post, so there is no next page.
    res
      .status(201)
      .location(`/api/threads/${thread.id}`)
      .json({ ...thread, nextCursor: null });
  }

  async function show(req: Request, res: Response) {
    const id = threadIdFrom(req);
    const query = parseQuery(threadQuerySchema, req.query);
    const found = await store.findThread(id, {
      limit: query.limit,
      after: pageStart(query.cursor),
    });
    if (!found) throw problems.notFound('No such thread.');
    const posts = await withBadges(found.thread.posts, res);
    res.json({ ...found.thread, posts, nextCursor: nextCursor(found.next) });
  }

  async function withBadges(posts: Post[], res: Response): Promise<Post[]> {
    if (!authorRanks || posts.length === 0) return posts;
    const authorIds = [...new Set(posts.map((post) => post.author.id))];
    const ranks = await authorRanks(authorIds, res.locals);
    return posts.map((post) => {
      const authorRank = ranks.get(post.author.id);
      return authorRank === undefined ? post : { ...post, authorRank };
    });
  }

  async function reply(req: Request, res: Response) {
    const threadId = threadIdFrom(req);
    const { body } = parseBody(newPostSchema, req.body);
    const post = await store.insertPost({ threadId, author: currentUser(res), body });
    if (!post) throw problems.notFound('No such thread.');
    res.status(201).json(post);
  }

  return exactRouter()
    .get('/api/threads', list)
    .post('/api/threads', auth, create)
    .get('/api/threads/:id', show)
    .post('/api/threads/:id/posts', auth, reply);
}
