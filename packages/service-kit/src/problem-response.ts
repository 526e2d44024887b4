import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
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

/** The last route: whatever nothing else answered is a 404 problem. */
export function notFoundHandler(): RequestHandler {
  return (req) => {
    throw problems.notFound(`No route for ${req.method} ${pathOf(req)}.`);
  };
}

/**
 * The one error middleware. Everything a route or middleware throws ends here and leaves as
 * problem+json: HttpError as it is, client errors from body parsing with their 4xx status,
 * an unreachable dependency as 503, and anything else as a 500 that is logged with its stack
 * but never shows it to the client.
 */
export function problemHandler(fallbackLog: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    // The per-request logger exists unless the error happened before it was attached.
    const log = res.locals.log ?? fallbackLog;
    if (res.headersSent) {
      // Too late for a problem document; Express's default handler closes the connection.
      log.error({ err }, 'error after the response started');
      next(err);
      return;
    }
    const problem = toHttpError(err);
    logError(log, problem, err);
    sendProblem(req, res, problem);
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
  'entity.parse.failed': 'The request body is not valid JSON.',
  'entity.too.large': 'The request body is too large.',
  'encoding.unsupported': 'The request body uses an unsupported Content-Encoding.',
  'charset.unsupported': 'The request body uses an unsupported charset.',
};

function fromClientError(err: unknown): HttpError | undefined {
  if (typeof err !== 'object' || err === null || !('status' in err)) return undefined;
  const status = err.status;
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  const type = 'type' in err && typeof err.type === 'string' ? err.type : '';
  return new HttpError(status, { detail: BODY_PARSER_DETAILS[type], cause: err });
}

function logError(log: Logger, problem: HttpError, err: unknown): void {
  if (problem.status === 500) log.error({ err }, 'unhandled error');
  // An HttpError 503 was thrown on purpose by code that has already said why.
  else if (problem.status === 503 && !(err instanceof HttpError)) {
    log.warn({ err }, 'dependency unavailable');
  }
  // 4xx are the client's business; the access log line records them.
}

function sendProblem(req: Request, res: Response, problem: HttpError): void {
  const body: ProblemDocument = {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance: pathOf(req),
    errors: problem.errors,
  };
  res.status(problem.status).set(problem.headers).type('application/problem+json').json(body);
}

function pathOf(req: Request): string {
  return req.originalUrl.split('?')[0] ?? '/';
}
