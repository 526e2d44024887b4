import {
  type Author,
  type ForumStore,
  type PageRequest,
  type Post,
  pastMark,
  type Thread,
  toPage,
} from '@course/monolith/forum';
import type { ForumDatabase } from './db.ts';

/*
 * The forum's data access, over a database with no users table. Where the monolith joined
 * `users` for an author's name, each thread and post here keeps the id and name its author's
 * token carried when it was written. The price: a renamed user would keep the old name on old
 * posts (the course has no renaming; an event in stage 04 is how it would travel).
 */

const authorColumns = { authorId: true, authorName: true } as const;
const postColumns = { id: true, threadId: true, body: true, createdAt: true, ...authorColumns };

type AuthorColumns = { authorId: string; authorName: string };

function authorOf({ authorId, authorName }: AuthorColumns): Author {
  return { id: authorId, username: authorName };
}

function toPost<Row extends AuthorColumns>({ authorId, authorName, ...row }: Row) {
  return { ...row, author: authorOf({ authorId, authorName }) };
}

export function forumServiceStore(db: ForumDatabase): ForumStore {
  return {
    async listThreads({ limit, after }: PageRequest) {
      const rows = await db.thread.findMany({
        where: pastMark(after, 'lt'),
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: limit + 1,
        select: {
          id: true,
          title: true,
          createdAt: true,
          lastPostAt: true,
          ...authorColumns,
          _count: { select: { posts: true } },
        },
      });
      const page = toPage(rows, limit);
      return {
        items: page.items.map(({ _count, ...thread }) => ({
          ...toPost(thread),
          postCount: _count.posts,
        })),
        next: page.next,
      };
    },

    async findThread(id, { limit, after }) {
      const row = await db.thread.findUnique({
        where: { id },
        select: {
          id: true,
          title: true,
          createdAt: true,
          ...authorColumns,
          posts: {
            select: postColumns,
            where: pastMark(after, 'gt'),
            orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
            take: limit + 1,
          },
        },
      });
      if (!row) return null;
      const { posts, ...thread } = row;
      const page = toPage(posts, limit);
      return { thread: { ...toPost(thread), posts: page.items.map(toPost) }, next: page.next };
    },

    async insertThread({ author, title, body }): Promise<Thread> {
      const by = { authorId: author.id, authorName: author.username };
      const { posts, ...thread } = await db.thread.create({
        data: { title, ...by, posts: { create: { body, ...by } } },
        select: {
          id: true,
          title: true,
          createdAt: true,
          ...authorColumns,
          posts: { select: postColumns },
        },
      });
      return { ...toPost(thread), posts: posts.map(toPost) };
    },

    insertPost({ threadId, author, body }): Promise<Post | null> {
      return db.$transaction(async (tx) => {
        const now = new Date();
        const bumped = await tx.thread.updateMany({
          where: { id: threadId },
          data: { lastPostAt: now },
        });
        if (bumped.count === 0) return null;
        const post = await tx.post.create({
          data: {
            threadId,
            body,
            authorId: author.id,
            authorName: author.username,
            createdAt: now,
          },
          select: postColumns,
        });
        return toPost(post);
      });
    },
  };
}
