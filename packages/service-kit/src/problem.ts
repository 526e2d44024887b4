import { isDependencyDown } from './dependency-down.ts';
import { HttpError, problems } from './errors.ts';

/** RFC 9457 problem details, the body of every error response. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { path: string; message: string }[];
}

/** An error as the client receives it, whatever carries the response (Express, a Lambda result). */
export interface ProblemResponse {
  status: number;
  /** The error's own headers (e.g. WWW-Authenticate) and the problem+json Content-Type. */
  headers: Record<string, string>;
  body: ProblemDocument;
  /**
   * How loudly to log the error: 'error' for a bug (a 500), 'warn' for a dependency found down,
   * undefined for what is the client's business (4xx) or was already explained by its thrower.
   */
  logLevel: 'error' | 'warn' | undefined;
}

/** The log message for each level of ProblemResponse.logLevel, the same in every adapter. */
export const PROBLEM_LOG_MESSAGES = {
  error: 'unhandled error',
  warn: 'dependency unavailable',
} as const;

/** The details body-parser's client errors get; a plain JSON reader reports the same. */
export const BODY_ERROR_DETAILS = {
  malformed: 'The request body is not valid JSON.',
  tooLarge: 'The request body is too large.',
  encoding: 'The request body uses an unsupported Content-Encoding.',
  undecodable: 'The request body does not decode as its Content-Encoding says.',
  charset: 'The request body uses an unsupported charset.',
} as const;

/**
 * The one error → problem+json mapping. Everything a use case or an adapter throws leaves
 * through here: HttpError as it is, client errors from body parsing with their 4xx status, an
 * unreachable dependency as 503, and anything else as a 500 whose detail never shows the error.
 * `instance` is the request's path, without its query string.
 */
export function problemFor(err: unknown, instance: string): ProblemResponse {
  const problem = toHttpError(err);
  return {
    status: problem.status,
    headers: { ...problem.headers, 'Content-Type': 'application/problem+json; charset=utf-8' },
    body: {
      type: problem.type,
      title: problem.title,
      status: problem.status,
      detail: problem.detail,
      instance,
      errors: problem.errors,
    },
    logLevel: logLevelFor(problem, err),
  };
}

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const clientError = fromClientError(err);
  if (clientError) return clientError;
  if (isDependencyDown(err)) {
    return problems.unavailable('A dependency is unavailable; please retry shortly.');
  }
  return new HttpError(500, { detail: 'An unexpected error occurred.', cause: err });
}

// body-parser raises http-errors with a `type` and a 4xx `status`; other middleware (e.g. the
// router for a malformed %-escape in a path) sets a 4xx `status` too. Bad input is never a 500.
const BODY_PARSER_DETAILS: Record<string, string> = {
  'entity.parse.failed': BODY_ERROR_DETAILS.malformed,
  'entity.too.large': BODY_ERROR_DETAILS.tooLarge,
  'encoding.unsupported': BODY_ERROR_DETAILS.encoding,
  'charset.unsupported': BODY_ERROR_DETAILS.charset,
};

function fromClientError(err: unknown): HttpError | undefined {
  if (typeof err !== 'object' || err === null || !('status' in err)) return undefined;
  const status = err.status;
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  const type = 'type' in err && typeof err.type === 'string' ? err.type : '';
  return new HttpError(status, { detail: BODY_PARSER_DETAILS[type], cause: err });
}

function logLevelFor(problem: HttpError, err: unknown): ProblemResponse['logLevel'] {
  if (problem.status === 500) return 'error';
  // An HttpError 503 was thrown on purpose by code that has already said why.
  if (problem.status === 503 && !(err instanceof HttpError)) return 'warn';
  // 4xx are the client's business; the access log line records them.
  return undefined;
}
