// The service chassis: everything a service of the course needs besides its own routes. What
// needs no HTTP framework is in core.ts (also importable alone, as @course/service-kit/core).

export { jwksRoute, requireAuth } from './auth.ts';
export * from './core.ts';
export { type DatabaseSecret, databaseUrlFrom } from './database-url.ts';
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
export {
  ACCOUNT_LOGIN_POLICY,
  ADDRESS_LOGIN_POLICY,
  type LoginAttempt,
  LoginThrottle,
  type LoginThrottleOptions,
  TOO_MANY_FAILED_LOGINS,
} from './login-throttle.ts';
export { hashPassword, verifyPassword } from './passwords.ts';
export { notFoundHandler, problemHandler } from './problem-response.ts';
export { clientKey } from './rate-limit.ts';
export { requestId, requestLogging, servedByHeader } from './request-context.ts';
export { listen, type RunningServer, runUntilSignal } from './server.ts';
export { type Ed25519PrivateJwk, ed25519SigningJwk } from './signing-key.ts';
export { signingJwkFromSeed } from './signing-seed.ts';
