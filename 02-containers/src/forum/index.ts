// The forum service as later stages see it: stage 03 gives it another source of badges.
export { createForumApp, type ForumAppDeps, type ForumAppExtensions } from './app.ts';
export { badgesOrNone, ranksSchema, slotsBadges } from './badges.ts';
export {
  type ForumConfig,
  type ForumServiceConfig,
  forumServiceConfigSchema,
  loadConfig,
} from './config.ts';
export { createForumDb, type ForumDatabase } from './db.ts';
