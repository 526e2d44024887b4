// The forum module as other packages see it: stage 02's forum service is built from these
// routes and this pagination, over a database of its own.

export { pastMark, toPage } from './data.ts';
export type {
  Author,
  PageMark,
  PageRequest,
  Post,
  Thread,
  ThreadSummary,
} from './domain.ts';
export { type AuthorRanks, type ForumDeps, forumRoutes } from './routes.ts';
export type { ForumStore, Page } from './store.ts';
