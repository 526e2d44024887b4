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

/** For a function behind the HTTP API: the above, plus who is calling. */
export function httpSlotsEnvironment(config: HttpFunctionConfig = loadHttpFunctionConfig()) {
  const environment = slotsEnvironment(config);
  const verifier = createTokenVerifier({
    jwks: new URL(config.JWKS_URL),
    issuer: config.TOKEN_ISSUER,
    log: environment.log,
  });
  return {
    ...environment,
    config,
    identity: slotsIdentity(config),
    /** The caller of a request that needs one: 401 problem without a valid bearer token. */
    player: (request: HttpRequest): Promise<AuthUser> =>
      verifier.verify(bearerToken(request.header('authorization'))),
  };
}

export type HttpSlotsEnvironment = ReturnType<typeof httpSlotsEnvironment>;

/**
 * A slots function behind the HTTP API: its environment, built once, and its routes over it. An
 * environment that cannot be built (a ConfigError, say) is logged once, at fatal, and the function
 * answers every request with a 503 problem until a fixed version is deployed.
 */
export function httpSlotsFunction(
  routes: (environment: HttpSlotsEnvironment) => Record<string, RouteHandler>,
  {
    loadEnvironment = httpSlotsEnvironment,
    // The configured LOG_LEVEL may be what failed: this logger has the default level.
    initLog = () => createLogger({ service: 'slots' }),
  }: { loadEnvironment?: () => HttpSlotsEnvironment; initLog?: () => Logger } = {},
): HttpHandler {
  let environment: HttpSlotsEnvironment;
  try {
    environment = loadEnvironment();
  } catch (err) {
    const log = initLog();
    log.fatal({ err }, 'function init failed: every request answers 503');
    return initFailedFunction({ identity: slotsIdentity({ STAGE }), log });
  }
  return httpFunction({
    identity: environment.identity,
    log: environment.log,
    bodyLimitBytes: environment.config.BODY_LIMIT_BYTES,
    routes: routes(environment),
  });
}
