import type { Logger } from '@course/service-kit';
import type { RequestHandler, Response } from 'express';

/**
 * Gives each request a child logger carrying its id, and writes one access line when the
 * response is done: method, path, status, ms, and the route and target that served it. Like
 * service-kit's requestLogging, which cannot know about routes and targets.
 */
export function accessLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.locals.log = log.child({ requestId: res.locals.requestId });
    // 'close' rather than 'finish': it also fires when the client hangs up mid-request.
    res.on('close', () => {
      // The logger as it is now: noteRouting() may have added the route and the target.
      const requestLog = res.locals.log;
      const line = {
        method: req.method,
        // Without the query string: it may carry cursors or other values we do not want in logs.
        path: req.originalUrl.split('?')[0],
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
      };
      if (!res.writableFinished) requestLog.warn(line, 'request aborted by the client');
      else if (res.statusCode >= 500) requestLog.error(line, 'request failed');
      else requestLog.info(line, 'request completed');
    });
    next();
  };
}

/** Stamps the request's log lines from now on (its access line included) with these fields. */
export function noteRouting(res: Response, fields: { route: string } | { target: string }): void {
  res.locals.log = res.locals.log.child(fields);
}
