import { slotsRoutes } from '@course/monolith/slots';
import {
  createServiceApp,
  createTokenVerifier,
  finishServiceApp,
  healthRoutes,
  type Logger,
} from '@course/service-kit';
import type { RandomSource } from '@course/slot-machine';
import { type SlotsDatabase, slotsServiceStore } from '@course/strangler/slots';
import type { Express } from 'express';
import type { SlotsConfig } from './config.ts';
import { leaderboardRankRoutes } from './ranks.ts';

export interface SlotsAppDeps {
  config: SlotsConfig;
  db: SlotsDatabase;
  log: Logger;
  /** Scripted reels for tests; production draws from crypto.randomInt. */
  rng?: RandomSource;
}

/**
 * The slots service of stage 01, unchanged (its store, its database, the monolith's routes and
 * money-moving code), plus one internal route for the forum's badges.
 */
export function createSlotsApp({ config, db, log, rng }: SlotsAppDeps): Express {
  const verifier = createTokenVerifier({
    jwks: new URL(config.JWKS_URL),
    issuer: config.TOKEN_ISSUER,
  });
  const store = slotsServiceStore(db);
  const app = createServiceApp({
    identity: { service: 'slots', stage: config.STAGE, kind: config.PROCESS_KIND },
    log,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    trustProxy: config.TRUST_PROXY,
  });
  app.use(healthRoutes({ ready: () => db.$queryRaw`SELECT 1`.then(() => {}) }));
  app.use(slotsRoutes({ store, verifier, rng }));
  app.use(leaderboardRankRoutes({ store }));
  finishServiceApp(app, { log });
  return app;
}
