import {
  currentUser,
  parseBody,
  parseQuery,
  problems,
  requireAuth,
  type TokenVerifier,
} from '@course/service-kit';
import { type Request, type Response, Router } from 'express';
import type { Db } from '../db.ts';
import { findThread, insertPost, insertThread, listThreads } from './data.ts';
import {
  decodeCursor,
  encodeCursor,
  newPostSchema,
  newThreadSchema,
  threadIdSchema,
  threadListQuerySchema,
} from './domain.ts';

export interface ForumDeps {
  db: Db;
  verifier: TokenVerifier;
}

/** A malformed id can never name a thread, so it is a 404 like any unknown id. */
function threadIdFrom(req: Request): string {
  const parsed = threadIdSchema.safeParse(req.params.id);
  if (!parsed.success) throw problems.notFound('No such thread.');
  return parsed.data;
}

export function forumRoutes({ db, verifier }: ForumDeps): Router {
  const auth = requireAuth(verifier);

  async function list(req: Request, res: Response) {
    const query = parseQuery(threadListQuerySchema, req.query);
    const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) throw problems.badRequest('The cursor is not valid.');
    const page = await listThreads(db, { limit: query.limit, after });
    res.json({ items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null });
  }

  async function create(req: Request, res: Response) {
    const { title, body } = parseBody(newThreadSchema, req.body);
    const thread = await insertThread(db, { authorId: currentUser(res).id, title, body });
    res.status(201).location(`/api/threads/${thread.id}`).json(thread);
  }

  async function show(req: Request, res: Response) {
    const thread = await findThread(db, threadIdFrom(req));
    if (!thread) throw problems.notFound('No such thread.');
    res.json(thread);
  }

  async function reply(req: Request, res: Response) {
    const threadId = threadIdFrom(req);
    const { body } = parseBody(newPostSchema, req.body);
    const post = await insertPost(db, { threadId, authorId: currentUser(res).id, body });
    if (!post) throw problems.notFound('No such thread.');
    res.status(201).json(post);
  }

  return Router()
    .get('/api/threads', list)
    .post('/api/threads', auth, create)
    .get('/api/threads/:id', show)
    .post('/api/threads/:id/posts', auth, reply);
}
