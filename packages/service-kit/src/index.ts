// The service chassis: everything a service of the course needs besides its own routes.
export type { JWK } from 'jose';
export {
  type AuthUser,
  createTokenIssuer,
  createTokenVerifier,
  generateSigningKey,
  jwksRoute,
  requireAuth,
  type TokenIssuer,
  type TokenVerifier,
} from './auth.ts';
export {
  type BreakerOptions,
  type BreakerState,
  CircuitBreaker,
  DEFAULT_FAILURE_THRESHOLD,
  DEFAULT_OPEN_MS,
  type Outcome,
  type Permit,
} from './circuit-breaker.ts';
export {
  ConfigError,
  jwkJsonSchema,
  parseConfig,
  type ServiceConfig,
  serviceConfigSchema,
} from './config.ts';
export { type DatabaseSecret, databaseUrlFrom } from './database-url.ts';
export {
  type CallOptions,
  createDependency,
  type Dependency,
  DependencyError,
  type DependencyFailure,
  type DependencyOptions,
} from './dependency.ts';
export { isDependencyDown } from './dependency-down.ts';
export {
  fromZodError,
  HttpError,
  type HttpErrorOptions,
  type ProblemFieldError,
  parseBody,
  parseQuery,
  problems,
} from './errors.ts';
export {
  DEFAULT_FAILED_ATTEMPT_POLICY,
  FailedAttemptLimiter,
  type FailedAttemptPolicy,
} from './failed-attempts.ts';
export { healthRoutes } from './health.ts';
export {
  createServiceApp,
  exactRouter,
  finishServiceApp,
  type ServiceAppOptions,
} from './http.ts';
export { currentUser, type Locals } from './locals.ts';
export { createLogger, type Logger, type LoggerOptions } from './log.ts';
export {
  ACCOUNT_LOGIN_POLICY,
  ADDRESS_LOGIN_POLICY,
  type LoginAttempt,
  LoginThrottle,
  type LoginThrottleOptions,
  TOO_MANY_FAILED_LOGINS,
} from './login-throttle.ts';
export { hashPassword, verifyPassword } from './passwords.ts';
export {
  notFoundHandler,
  type ProblemDocument,
  problemHandler,
} from './problem-response.ts';
export { clientKey } from './rate-limit.ts';
export {
  requestId,
  requestLogging,
  type ServiceIdentity,
  servedByHeader,
} from './request-context.ts';
export { listen, type RunningServer, runUntilSignal } from './server.ts';
export { type Ed25519PrivateJwk, ed25519SigningJwk } from './signing-key.ts';
export { signingJwkFromSeed } from './signing-seed.ts';
export { unstorableTextErrors } from './text.ts';
