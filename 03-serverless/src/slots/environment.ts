import { slotsUseCases } from '@course/monolith/slots/use-cases';
import {
  type AuthUser,
  bearerToken,
  createLogger,
  createTokenVerifier,
  type ServiceIdentity,
} from '@course/service-kit/core';
import { slotsServiceStore } from '@course/strangler/slots/store';
import {
  type HttpHandler,
  type HttpRequest,
  httpFunction,
  type RouteHandler,
} from '../lambda/http.ts';
import { type FunctionConfig, type HttpFunctionConfig, loadHttpFunctionConfig } from './config.ts';
import { connectSlotsDatabase } from './database.ts';

/*
 * What one execution environment of a slots function builds once, at init, and then reuses for
 * every event it runs: the parsed config, the logger, the database pool (one connection) and the
 * use cases over it, and the token verifier, whose public keys (fetched from the users service's
 * JWKS on first use) stay cached for the environment's life. Built per invocation, each of them
 * would cost every request a new connection, a new TLS handshake and a JWKS download.
 */

export function slotsIdentity(config: Pick<FunctionConfig, 'STAGE'>): ServiceIdentity {
  return { service: 'slots', stage: config.STAGE, kind: 'lambda' };
}

/** The database and the use cases over it, for any slots function. */
export function slotsEnvironment(config: FunctionConfig) {
  const log = createLogger({ service: 'slots', level: config.LOG_LEVEL });
  const store = slotsServiceStore(connectSlotsDatabase(config.database));
  return { log, store, slots: slotsUseCases({ store }) };
}

/** For a function behind the HTTP API: the above, plus who is calling. */
export function httpSlotsEnvironment(config: HttpFunctionConfig = loadHttpFunctionConfig()) {
  const verifier = createTokenVerifier({
    jwks: new URL(config.JWKS_URL),
    issuer: config.TOKEN_ISSUER,
  });
  return {
    ...slotsEnvironment(config),
    config,
    identity: slotsIdentity(config),
    /** The caller of a request that needs one: 401 problem without a valid bearer token. */
    player: (request: HttpRequest): Promise<AuthUser> =>
      verifier.verify(bearerToken(request.header('authorization'))),
  };
}

export type HttpSlotsEnvironment = ReturnType<typeof httpSlotsEnvironment>;

/** A slots function behind the HTTP API: its environment, built once, and its routes over it. */
export function httpSlotsFunction(
  routes: (environment: HttpSlotsEnvironment) => Record<string, RouteHandler>,
): HttpHandler {
  const environment = httpSlotsEnvironment();
  return httpFunction({
    identity: environment.identity,
    log: environment.log,
    bodyLimitBytes: environment.config.BODY_LIMIT_BYTES,
    routes: routes(environment),
  });
}
