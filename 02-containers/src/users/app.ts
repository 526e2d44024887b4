import { usersRoutes } from '@course/monolith/users';
import {
  createTokenIssuer,
  createTokenVerifier,
  finishServiceApp,
  jwksRoute,
  type Logger,
} from '@course/service-kit';
import type { Express } from 'express';
import { createStage02App } from '../service.ts';
import type { UsersConfig } from './config.ts';
import type { UsersDatabase } from './db.ts';
import { usersServiceStore } from './store.ts';

export interface UsersAppDeps {
  config: UsersConfig;
  db: UsersDatabase;
  log: Logger;
}

/**
 * The users service: registration, log-in and the token issuer. It publishes its public keys
 * (JWKS) so the forum and slots verify tokens themselves, without calling it per request.
 */
export async function createUsersApp({ config, db, log }: UsersAppDeps): Promise<Express> {
  const issuer = await createTokenIssuer({
    privateJwk: config.JWT_PRIVATE_JWK,
    issuer: config.TOKEN_ISSUER,
  });
  const verifier = createTokenVerifier({ jwks: issuer.jwks(), issuer: config.TOKEN_ISSUER });
  const app = createStage02App({
    service: 'users',
    config,
    log,
    ready: () => db.$queryRaw`SELECT 1`,
  });
  app.use(jwksRoute(issuer));
  app.use(usersRoutes({ store: usersServiceStore(db), issuer, verifier }));
  finishServiceApp(app, { log });
  return app;
}
