import type { AuthUser } from '@course/service-kit';
import type { PageMark, PageRequest, Post, Thread, ThreadSummary } from './domain.ts';

/** One page of rows, and where the next page starts (null on the last page). */
export interface Page<T> {
  items: T[];
  next: PageMark | null;
}

/**
 * Everything the forum routes need from storage. The monolith implements it over its one
 * database, joining the users table for author names (data.ts); stage 02's forum service has no
 * users table and keeps the name its author's token carried. Both reuse these routes unchanged.
 */
export interface ForumStore {
  listThreads(page: PageRequest): Promise<Page<ThreadSummary>>;
  /** A thread with one page of its posts, oldest first; null when the thread does not exist. */
  findThread(
    id: string,
    page: PageRequest,
  ): Promise<{ thread: Thread; next: PageMark | null } | null>;
  /** A thread is its title plus a first post, written together. */
  insertThread(thread: { author: AuthUser; title: string; body: string }): Promise<Thread>;
  /** Adds a reply and bumps the thread's lastPostAt; null when the thread does not exist. */
  insertPost(post: { threadId: string; author: AuthUser; body: string }): Promise<Post | null>;
}
