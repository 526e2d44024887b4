import type { Db } from '../db.ts';
import type { PageMark, PageRequest, Post, Thread, ThreadSummary } from './domain.ts';
import type { ForumStore } from './store.ts';

const author = { select: { id: true, username: true } } as const;
const postFields = { id: true, threadId: true, body: true, createdAt: true, author } as const;

/** Rows strictly past `after` in (createdAt, id) order: `lt` going newest first, `gt` oldest first. */
export function pastMark(after: PageMark | null, direction: 'lt' | 'gt') {
  if (!after) return {};
  const beyond = <T>(value: T) => (direction === 'lt' ? { lt: value } : { gt: value });
  return {
    OR: [
      { createdAt: beyond(after.createdAt) },
      { createdAt: after.createdAt, id: beyond(after.id) },
    ],
  };
}

/**
 * Cuts the `limit + 1` rows a query fetched down to one page. The extra row tells whether
 * another page exists without a COUNT query; the last row kept is where that page starts.
 */
export function toPage<T extends PageMark>(
  rows: T[],
  limit: number,
): { items: T[]; next: PageMark | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    next: rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null,
  };
}

export async function listThreads(
  db: Db,
  { limit, after }: PageRequest,
): Promise<{ items: ThreadSummary[]; next: PageMark | null }> {
  const rows = await db.thread.findMany({
    where: pastMark(after, 'lt'),
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    select: {
      id: true,
      title: true,
      createdAt: true,
      lastPostAt: true,
      author,
      _count: { select: { posts: true } },
    },
  });
  const page = toPage(rows, limit);
  return {
    items: page.items.map(({ _count, ...thread }) => ({ ...thread, postCount: _count.posts })),
    next: page.next,
  };
}

/** A thread with one page of its posts, oldest first; null when the thread does not exist. */
export async function findThread(
  db: Db,
  id: string,
  { limit, after }: PageRequest,
): Promise<{ thread: Thread; next: PageMark | null } | null> {
  const row = await db.thread.findUnique({
    where: { id },
    select: {
      id: true,
      title: true,
      createdAt: true,
      author,
      posts: {
        select: postFields,
        where: pastMark(after, 'gt'),
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: limit + 1,
      },
    },
  });
  if (!row) return null;
  const page = toPage(row.posts, limit);
  return { thread: { ...row, posts: page.items }, next: page.next };
}

/** A thread is its title plus a first post, written together. */
export async function insertThread(
  db: Db,
  thread: { authorId: string; title: string; body: string },
): Promise<Thread> {
  return db.thread.create({
    data: {
      title: thread.title,
      authorId: thread.authorId,
      posts: { create: { body: thread.body, authorId: thread.authorId } },
    },
    select: { id: true, title: true, createdAt: true, author, posts: { select: postFields } },
  });
}

/** Adds a reply and bumps the thread's lastPostAt; null when the thread does not exist. */
export async function insertPost(
  db: Db,
  post: { threadId: string; authorId: string; body: string },
): Promise<Post | null> {
  return db.$transaction(async (tx) => {
    const now = new Date();
    const bumped = await tx.thread.updateMany({
      where: { id: post.threadId },
      data: { lastPostAt: now },
    });
    if (bumped.count === 0) return null;
    return tx.post.create({ data: { ...post, createdAt: now }, select: postFields });
  });
}

/** The forum store over the monolith's database: authors are rows of its users table. */
export function monolithForumStore(db: Db): ForumStore {
  return {
    listThreads: (page) => listThreads(db, page),
    findThread: (id, page) => findThread(db, id, page),
    insertThread: ({ author, ...thread }) => insertThread(db, { authorId: author.id, ...thread }),
    insertPost: ({ author, ...post }) => insertPost(db, { authorId: author.id, ...post }),
  };
}
