import { type AuthorRanks, type ForumStore, forumRoutes } from '@course/monolith/forum';
import { createTokenVerifier, finishServiceApp, type Logger } from '@course/service-kit';
import type { Express, Router } from 'express';
import { createStage02App } from '../service.ts';
import { slotsBadges } from './badges.ts';
import type { ForumConfig, ForumServiceConfig } from './config.ts';
import type { ForumDatabase } from './db.ts';
import { forumServiceStore } from './store.ts';

/** The badges come from the slots service at SLOTS_URL, or from the source given. */
export type ForumAppDeps = {
  db: ForumDatabase;
  log: Logger;
} & ForumAppExtensions &
  (
    | { config: ForumConfig; authorRanks?: AuthorRanks }
    | { config: ForumServiceConfig; authorRanks: AuthorRanks }
  );

/**
 * Two optional dependencies of the forum app, each with a neutral default (the forum as it is):
 * a wrapper of its store, and routes mounted on the same app. Both go through the app's own
 * request ids, problem+json errors and logs.
 */
export interface ForumAppExtensions {
  /** Wraps the store the routes read and write through. @default the store itself */
  decorateStore?: (store: ForumStore) => ForumStore;
  /** Routes mounted after the forum's own and before its 404. @default none */
  extraRoutes?: Router;
}

/**
 * The forum service: the monolith's forum routes over a database of its own, with authors'
 * leaderboard badges from the slots service. Its readiness is its own database only: slots
 * being down degrades a thread page, it does not make the forum unready.
 */
export function createForumApp(deps: ForumAppDeps): Express {
  const { config, db, log, decorateStore = (store) => store, extraRoutes } = deps;
  const verifier = createTokenVerifier({
    jwks: new URL(config.JWKS_URL),
    issuer: config.TOKEN_ISSUER,
    log,
  });
  const app = createStage02App({
    service: 'forum',
    config,
    log,
    ready: () => db.$queryRaw`SELECT 1`,
  });
  app.use(
    forumRoutes({
      store: decorateStore(forumServiceStore(db)),
      verifier,
      authorRanks: badgeSource(deps),
    }),
  );
  if (extraRoutes) app.use(extraRoutes);
  finishServiceApp(app, { log });
  return app;
}

function badgeSource({ authorRanks, config, log }: ForumAppDeps): AuthorRanks {
  if (authorRanks) return authorRanks;
  // The types allow no other case; this says so to a caller from plain JavaScript.
  if (!('SLOTS_URL' in config)) throw new TypeError('The forum needs SLOTS_URL or authorRanks');
  return slotsBadges({ slotsUrl: config.SLOTS_URL, timeoutMs: config.SLOTS_TIMEOUT_MS, log });
}
