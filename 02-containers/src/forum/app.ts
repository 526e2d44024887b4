import { type AuthorRanks, forumRoutes } from '@course/monolith/forum';
import { createTokenVerifier, finishServiceApp, type Logger } from '@course/service-kit';
import type { Express } from 'express';
import { createStage02App } from '../service.ts';
import { slotsBadges } from './badges.ts';
import type { ForumConfig } from './config.ts';
import type { ForumDatabase } from './db.ts';
import { forumServiceStore } from './store.ts';

export interface ForumAppDeps {
  config: ForumConfig;
  db: ForumDatabase;
  log: Logger;
  /** The badges' source; by default the slots service at SLOTS_URL. */
  authorRanks?: AuthorRanks;
}

/**
 * The forum service: the monolith's forum routes over a database of its own, with authors'
 * leaderboard badges from the slots service. Its readiness is its own database only: slots
 * being down degrades a thread page, it does not make the forum unready.
 */
export function createForumApp({ config, db, log, authorRanks }: ForumAppDeps): Express {
  const verifier = createTokenVerifier({
    jwks: new URL(config.JWKS_URL),
    issuer: config.TOKEN_ISSUER,
  });
  const app = createStage02App({
    service: 'forum',
    config,
    log,
    ready: () => db.$queryRaw`SELECT 1`,
  });
  app.use(
    forumRoutes({
      store: forumServiceStore(db),
      verifier,
      authorRanks:
        authorRanks ??
        slotsBadges({ slotsUrl: config.SLOTS_URL, timeoutMs: config.SLOTS_TIMEOUT_MS, log }),
    }),
  );
  finishServiceApp(app, { log });
  return app;
}
