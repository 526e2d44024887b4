import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { problems } from './errors.ts';
import { PROBLEM_LOG_MESSAGES, problemFor } from './problem.ts';

/** The last route: whatever nothing else answered is a 404 problem. */
export function notFoundHandler(): RequestHandler {
  return (req) => {
    throw problems.noRoute(req.method, pathOf(req));
  };
}

/**
 * The one error middleware. Everything a route or middleware throws ends here and leaves as
 * problem+json, mapped by problemFor (the same mapping every other adapter uses); a 500 is
 * logged with its stack but never shows it to the client.
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
    const problem = problemFor(err, pathOf(req));
    if (problem.logLevel) log[problem.logLevel]({ err }, PROBLEM_LOG_MESSAGES[problem.logLevel]);
    res.status(problem.status).set(problem.headers).json(problem.body);
  };
}

function pathOf(req: Request): string {
  return req.originalUrl.split('?')[0] ?? '/';
}
