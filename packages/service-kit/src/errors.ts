import { STATUS_CODES } from 'node:http';
import type { z } from 'zod';
import { unstorableTextErrors } from './text.ts';

/** One entry of a problem's `errors` array: which field, and what is wrong with it. */
export interface ProblemFieldError {
  path: string;
  message: string;
}

export interface HttpErrorOptions {
  /** `about:blank` (the default) for plain HTTP errors, `/problems/<slug>` for domain problems. */
  type?: string;
  /** Defaults to the standard reason phrase of the status, e.g. "Not Found". */
  title?: string;
  detail?: string;
  errors?: ProblemFieldError[];
  /** Extra response headers, e.g. `WWW-Authenticate` or `Retry-After`. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * The one error type of every service. Routes throw it; the error middleware turns it into an
 * RFC 9457 `application/problem+json` response. Anything else thrown becomes a 500 (or a 503
 * when a dependency is down), so a learner can tell expected failures from bugs at a glance.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: ProblemFieldError[];
  readonly headers: Record<string, string>;

  constructor(status: number, opts: HttpErrorOptions = {}) {
    const title = opts.title ?? STATUS_CODES[status] ?? 'Error';
    super(opts.detail ?? title, { cause: opts.cause });
    this.name = 'HttpError';
    this.status = status;
    this.type = opts.type ?? 'about:blank';
    this.title = title;
    this.detail = opts.detail;
    this.errors = opts.errors;
    this.headers = opts.headers ?? {};
  }
}

/** Small named constructors, so routes read as `throw problems.notFound()`. */
export const problems = {
  badRequest: (detail?: string, errors?: ProblemFieldError[]) =>
    new HttpError(400, { detail, errors }),
  unauthorized: (detail?: string) =>
    new HttpError(401, { detail, headers: { 'WWW-Authenticate': 'Bearer' } }),
  notFound: (detail?: string) => new HttpError(404, { detail }),
  conflict: (type: string, title: string, detail?: string) =>
    new HttpError(409, { type: problemType(type), title, detail }),
  validation: (errors: ProblemFieldError[]) =>
    new HttpError(422, {
      type: '/problems/validation',
      title: 'Your request is not valid',
      detail: 'The request body failed validation; see errors.',
      errors,
    }),
  tooManyRequests: (retryAfterSeconds: number) =>
    new HttpError(429, {
      detail: 'Too many requests; retry later.',
      headers: { 'Retry-After': String(retryAfterSeconds) },
    }),
  unavailable: (detail?: string) => new HttpError(503, { detail }),
  /** The 404 for a request no route of the service answers, the same from every adapter. */
  noRoute: (method: string, path: string) =>
    new HttpError(404, { detail: `No route for ${method} ${path}.` }),
};

/** Maps every zod issue to `{path: "a.b", message}`; the body as a whole has the path "". */
export function fromZodError(err: z.ZodError): HttpError {
  return problems.validation(toFieldErrors(err));
}

/** Validates a request body; a mismatch is the client's fault and answers 422 with `errors`. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw fromZodError(result.error);
  return result.data;
}

/**
 * Validates a query string. A bad `?limit=abc` is a malformed request rather than an invalid
 * document, hence 400 (not 422); the field errors are still listed to help the caller.
 * Text a database could not store (`?q=%00`) is refused here too, before any schema lets it
 * through to a query.
 */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const unstorable = unstorableTextErrors(query);
  if (unstorable.length > 0) throw invalidQuery(unstorable);
  const result = schema.safeParse(query);
  if (!result.success) throw invalidQuery(toFieldErrors(result.error));
  return result.data;
}

function invalidQuery(errors: ProblemFieldError[]): HttpError {
  const detail = errors.map((e) => `${e.path || 'query'}: ${e.message}`).join('; ');
  return problems.badRequest(`Invalid query string: ${detail}`, errors);
}

function toFieldErrors(err: z.ZodError): ProblemFieldError[] {
  return err.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

// Accepts both "username-taken" and "/problems/username-taken", so callers cannot get it wrong.
function problemType(type: string): string {
  return type.startsWith('/') || type.includes(':') ? type : `/problems/${type}`;
}
