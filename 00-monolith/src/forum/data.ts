import type { Db } from '../db.ts';
import type { PageMark, Post, Thread, ThreadSummary } from './domain.ts';

const author = { select: { id: true, username: true } } as const;
const postFields = { id: true, threadId: true, body: true, createdAt: true, author } as const;

export async function listThreads(
  db: Db,
  page: { limit: number; after: PageMark | null },
): Promise<{ items: ThreadSummary[]; next: PageMark | null }> {
  const { after, limit } = page;
  const rows = await db.thread.findMany({
    where: after
      ? {
          OR: [
            { createdAt: { lt: after.createdAt } },
            { createdAt: after.createdAt, id: { lt: after.id } },
          ],
        }
      : {},
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    // One extra row tells whether another page exists without a COUNT query.
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
  const items = rows.slice(0, limit).map(({ _count, ...thread }) => ({
    ...thread,
    postCount: _count.posts,
  }));
  const last = items.at(-1);
  return {
    items,
    next: rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null,
  };
}

export async function findThread(db: Db, id: string): Promise<Thread | null> {
  return db.thread.findUnique({
    where: { id },
    select: {
      id: true,
      title: true,
      createdAt: true,
      author,
      posts: { select: postFields, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
    },
  });
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
