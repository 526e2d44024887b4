// The chassis without an HTTP framework: the rules every adapter shares (Express middleware,
// a Lambda handler), as plain functions. Nothing here imports express or helmet; a test bundles
// this module and fails if anything does.
export type { JWK } from 'jose';
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
  DEFAULT_BODY_LIMIT_BYTES,
  isJsonMediaType,
  type JsonRequest,
  parseJsonRequest,
} from './json-request.ts';
export { createLogger, type Logger, type LoggerOptions } from './log.ts';
export {
  PROBLEM_LOG_MESSAGES,
  type ProblemDocument,
  type ProblemResponse,
  problemFor,
} from './problem.ts';
export { requestIdFrom, type ServiceIdentity, servedBy } from './request-id.ts';
export { logRequestLine, type RequestLine } from './request-log.ts';
export { unstorableTextErrors } from './text.ts';
export {
  type AuthUser,
  bearerToken,
  createTokenIssuer,
  createTokenVerifier,
  generateSigningKey,
  JWKS_MAX_AGE_SECONDS,
  JWKS_RETRY_AFTER_FAILURE_MS,
  JWKS_TIMEOUT_MS,
  type TokenIssuer,
  type TokenVerifier,
} from './tokens.ts';
