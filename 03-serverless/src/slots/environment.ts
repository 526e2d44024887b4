import { slotsUseCases } from '@course/monolith/slots/use-cases';
import {
  type AuthUser,
  bearerToken,
  createLogger,
  createTokenVerifier,
  type Logger,
  type ServiceIdentity,
} from '@course/service-kit/core';
import { slotsServiceStore } from '@course/strangler/slots/store';
import {
  type HttpHandler,
  type HttpRequest,
  httpFunction,
  initFailedFunction,
  type RouteHandler,
} from '../lambda/http.ts';
import { type FunctionConfig, type HttpFunctionConfig, loadHttpFunctionConfig } from './config.ts';
import { connectSlotsDatabase } from './database.ts';

/*
 * What one execution environment of a slots function builds once, at init, and then reuses for
 * every event it runs: the parsed config, the logger, the database pool (one connection) and the
 * use cases over it, and the token verifier, which fetches the users service's public keys (JWKS)
 * on first use and refetches them when its copy is five minutes old — keeping the old ones if
 * users cannot answer. Built per invocation, each of them would cost every request a new
 * connection, a new TLS handshake and a JWKS download.
 */

/** This stage's number, for an identity when the configuration could not be read. */
const STAGE = '03';

export function slotsIdentity(config: Pick<FunctionConfig, 'STAGE'>): ServiceIdentity {
  return { service: 'slots', stage: config.STAGE, kind: 'lambda' };
}

/** The database and the use cases over it, for any slots function. */
export function slotsEnvironment(config: FunctionConfig) {
  const log = createLogger({ service: 'slots', level: config.LOG_LEVEL });
  const store = slotsServiceStore(connectSlotsDatabase(config.database));
  return { log, store, slots: slotsUseCases({ store }) };
}

/**
 * Who is calling: the player of a request that needs one, from its bearer token (a 401 problem
 * without a valid one). Tokens are verified with the users service's public keys.
 */
export function callerOf(
  config: Pick<HttpFunctionConfig, 'JWKS_URL' | 'TOKEN_ISSUER'>,
  log: Logger,
): (request: HttpRequest) => Promise<AuthUser> {
  const verifier = createTokenVerifier({
    jwks: new URL(config.JWKS_URL),
    issuer: config.TOKEN_ISSUER,
    log,
  });
  return (request) => verifier.verify(bearerToken(request.header('authorization')));
}

/** For a function behind the HTTP API: the above, plus who is calling. */
export function httpSlotsEnvironment(config: HttpFunctionConfig = loadHttpFunctionConfig()) {
  const environment = slotsEnvironment(config);
  return {
    ...environment,
    config,
    identity: slotsIdentity(config),
    /** The caller of a request that needs one: 401 problem without a valid bearer token. */
    player: callerOf(config, environment.log),
  };
}

export type HttpSlotsEnvironment = ReturnType<typeof httpSlotsEnvironment>;

/** What any function behind the HTTP API builds at init, whatever else it holds. */
export interface HttpFunctionEnvironment {
  identity: ServiceIdentity;
  log: Logger;
  config: Pick<HttpFunctionConfig, 'BODY_LIMIT_BYTES'>;
}

/**
 * A function behind the HTTP API: its environment, built once by `loadEnvironment`, and its
 * routes over it. An environment that cannot be built (a ConfigError, say) is logged once, at
 * fatal, and the function answers every request with a 503 problem, as `stage`'s slots service,
 * until a fixed version is deployed.
 */
export function httpFunctionWith<E extends HttpFunctionEnvironment>(
  loadEnvironment: () => E,
  routes: (environment: E) => Record<string, RouteHandler>,
  {
    stage,
    // The configured LOG_LEVEL may be what failed: this logger has the default level.
    initLog = () => createLogger({ service: 'slots' }),
  }: { stage: string; initLog?: () => Logger },
): HttpHandler {
  let environment: E;
  try {
    environment = loadEnvironment();
  } catch (err) {
    const log = initLog();
    log.fatal({ err }, 'function init failed: every request answers 503');
    return initFailedFunction({ identity: slotsIdentity({ STAGE: stage }), log });
  }
  return httpFunction({
    identity: environment.identity,
    log: environment.log,
    bodyLimitBytes: environment.config.BODY_LIMIT_BYTES,
    routes: routes(environment),
  });
}

/** A slots function of this stage behind the HTTP API (see httpFunctionWith). */
export function httpSlotsFunction(
  routes: (environment: HttpSlotsEnvironment) => Record<string, RouteHandler>,
  {
    loadEnvironment = httpSlotsEnvironment,
    initLog,
  }: { loadEnvironment?: () => HttpSlotsEnvironment; initLog?: () => Logger } = {},
): HttpHandler {
  return httpFunctionWith(loadEnvironment, routes, { stage: STAGE, initLog });
}
