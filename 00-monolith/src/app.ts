import {
  createServiceApp,
  createTokenIssuer,
  createTokenVerifier,
  finishServiceApp,
  healthRoutes,
  jwksRoute,
  type Logger,
  type LoginThrottle,
} from '@course/service-kit';
import type { RandomSource } from '@course/slot-machine';
import type { Express } from 'express';
import type { MonolithConfig } from './config.ts';
import { type Db, pingDb } from './db.ts';
import { monolithForumStore } from './forum/data.ts';
import { forumRoutes } from './forum/routes.ts';
import { monolithSlotsStore } from './slots/data.ts';
import { slotsRoutes } from './slots/routes.ts';
import { monolithUsersStore } from './users/data.ts';
import { usersRoutes } from './users/routes.ts';
import { webRoutes } from './web.ts';

export interface AppDeps {
  config: MonolithConfig;
  db: Db;
  log: Logger;
  /** Scripted reels for tests; production draws from crypto.randomInt. */
  rng?: RandomSource;
  /** A throttle with a smaller policy for tests; production counts with the default one. */
  loginThrottle?: LoginThrottle;
}

/**
 * Builds the whole monolith from explicit dependencies: it never listens and never reads the
 * environment, so tests can start it on port 0 against a database of their own.
 */
export async function createApp({
  config,
  db,
  log,
  rng,
  loginThrottle,
}: AppDeps): Promise<Express> {
  const issuer = await createTokenIssuer({
    privateJwk: config.JWT_PRIVATE_JWK,
    issuer: config.TOKEN_ISSUER,
  });
  // The monolith verifies its own tokens with the same public keys it publishes as JWKS,
  // exactly as an extracted service will verify them later.
  const verifier = createTokenVerifier({ jwks: issuer.jwks(), issuer: config.TOKEN_ISSUER });

  const app = createServiceApp({
    identity: { service: 'monolith', stage: config.STAGE, kind: 'process' },
    log,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    trustProxy: config.TRUST_PROXY,
  });
  app.use(healthRoutes({ ready: () => pingDb(db) }));
  app.use(jwksRoute(issuer));
  app.use(usersRoutes({ store: monolithUsersStore(db), issuer, verifier, loginThrottle }));
  app.use(forumRoutes({ store: monolithForumStore(db), verifier }));
  app.use(slotsRoutes({ store: monolithSlotsStore(db), verifier, rng }));
  app.use(webRoutes({ distDir: config.WEB_DIST_DIR }));
  finishServiceApp(app, { log });
  return app;
}
