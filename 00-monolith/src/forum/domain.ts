import { z } from 'zod';

export interface Author {
  id: string;
  username: string;
}

export interface Post {
  id: string;
  threadId: string;
  body: string;
  author: Author;
  createdAt: Date;
  /** The author's place on the slots leaderboard, when a stage knows it (stage 02 on). */
  authorRank?: number;
}

export interface ThreadSummary {
  id: string;
  title: string;
  author: Author;
  createdAt: Date;
  postCount: number;
  lastPostAt: Date;
}

export interface Thread {
  id: string;
  title: string;
  author: Author;
  createdAt: Date;
  posts: Post[];
}

const postBody = z.string().trim().min(1).max(5000);

export const newThreadSchema = z.object({
  title: z.string().trim().min(1).max(120),
  body: postBody,
});

export const newPostSchema = z.object({ body: postBody });

export const threadListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(50).default(20),
  cursor: z.string().max(200).optional(),
});

/** A thread's posts come in pages too, so a long thread never means an unbounded response. */
export const threadQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

export const threadIdSchema = z.uuid();

/** Where the next page starts: the last row (thread or post) of this page, in page order. */
export interface PageMark {
  createdAt: Date;
  id: string;
}

/** One page request: at most `limit` rows, starting after `after` (null: from the start). */
export interface PageRequest {
  limit: number;
  after: PageMark | null;
}

const pageMarkSchema = z.object({ createdAt: z.iso.datetime(), id: z.uuid() });

// Keyset pagination: the cursor names the last row seen, so pages stay stable while
// new threads arrive (an OFFSET would shift). It is opaque to clients: base64url JSON.
export function encodeCursor(mark: PageMark): string {
  const json = JSON.stringify({ createdAt: mark.createdAt.toISOString(), id: mark.id });
  return Buffer.from(json).toString('base64url');
}

/** Returns null for anything that is not a cursor this API issued. */
export function decodeCursor(cursor: string): PageMark | null {
  try {
    const parsed = pageMarkSchema.safeParse(
      JSON.parse(Buffer.from(cursor, 'base64url').toString()),
    );
    return parsed.success
      ? { createdAt: new Date(parsed.data.createdAt), id: parsed.data.id }
      : null;
  } catch {
    return null;
  }
}
