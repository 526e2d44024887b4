import {
  currentUser,
  exactRouter,
  parseBody,
  parseQuery,
  problems,
  requireAuth,
  type TokenVerifier,
} from '@course/service-kit';
import type { Request, Response, Router } from 'express';
import type { Db } from '../db.ts';
import { findThread, insertPost, insertThread, listThreads } from './data.ts';
import {
  decodeCursor,
  encodeCursor,
  newPostSchema,
  newThreadSchema,
  type PageMark,
  threadIdSchema,
  threadListQuerySchema,
  threadQuerySchema,
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

export function forumRoutes({ db, verifier }: ForumDeps): Router {
  const auth = requireAuth(verifier);

  async function list(req: Request, res: Response) {
    const query = parseQuery(threadListQuerySchema, req.query);
    const page = await listThreads(db, { limit: query.limit, after: pageStart(query.cursor) });
    res.json({ items: page.items, nextCursor: nextCursor(page.next) });
  }

  async function create(req: Request, res: Response) {
    const { title, body } = parseBody(newThreadSchema, req.body);
    const thread = await insertThread(db, { authorId: currentUser(res).id, title, body });
    // The same Thread shape as GET: a new thread has one post, so there is no next page.
    res
      .status(201)
      .location(`/api/threads/${thread.id}`)
      .json({ ...thread, nextCursor: null });
  }

  async function show(req: Request, res: Response) {
    const id = threadIdFrom(req);
    const query = parseQuery(threadQuerySchema, req.query);
    const found = await findThread(db, id, { limit: query.limit, after: pageStart(query.cursor) });
    if (!found) throw problems.notFound('No such thread.');
    res.json({ ...found.thread, nextCursor: nextCursor(found.next) });
  }

  async function reply(req: Request, res: Response) {
    const threadId = threadIdFrom(req);
    const { body } = parseBody(newPostSchema, req.body);
    const post = await insertPost(db, { threadId, authorId: currentUser(res).id, body });
    if (!post) throw problems.notFound('No such thread.');
    res.status(201).json(post);
  }

  return exactRouter()
    .get('/api/threads', list)
    .post('/api/threads', auth, create)
    .get('/api/threads/:id', show)
    .post('/api/threads/:id/posts', auth, reply);
}
