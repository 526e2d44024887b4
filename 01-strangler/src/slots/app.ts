import { type SlotsStore, slotsRoutes } from '@course/monolith/slots';
import {
  createServiceApp,
  createTokenVerifier,
  finishServiceApp,
  healthRoutes,
  type Logger,
} from '@course/service-kit';
import type { RandomSource } from '@course/slot-machine';
import type { Express, Router } from 'express';
import type { SlotsConfig } from './config.ts';
import type { SlotsDatabase } from './db.ts';
import { slotsServiceStore } from './store.ts';

export interface SlotsAppDeps {
  config: SlotsConfig;
  db: SlotsDatabase;
  log: Logger;
  /** Scripted reels for tests; production draws from crypto.randomInt. */
  rng?: RandomSource;
  /** How the service runs, as X-Served-By reports it; stage 02 also runs it in a container. */
  kind?: string;
  /** A later stage's routes over the same store: stage 02 adds the forum's internal one. */
  extraRoutes?: (store: SlotsStore) => Router;
}

/**
 * The slots service: the monolith's slots routes over a database of its own. It never listens
 * and never reads the environment (server.ts does), so tests start it on port 0.
 */
export function createSlotsApp({
  config,
  db,
  log,
  rng,
  kind = 'process',
  extraRoutes,
}: SlotsAppDeps): Express {
  // Tokens are verified with the monolith's published keys, cached and refetched every few
  // minutes; the monolith is not called per request.
  const verifier = createTokenVerifier({
    jwks: new URL(config.JWKS_URL),
    issuer: config.TOKEN_ISSUER,
    log,
  });
  const app = createServiceApp({
    identity: { service: 'slots', stage: config.STAGE, kind },
    log,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    trustProxy: config.TRUST_PROXY,
  });
  app.use(healthRoutes({ ready: () => db.$queryRaw`SELECT 1`.then(() => {}) }));
  const store = slotsServiceStore(db);
  app.use(slotsRoutes({ store, verifier, rng }));
  if (extraRoutes) app.use(extraRoutes(store));
  finishServiceApp(app, { log });
  return app;
}
