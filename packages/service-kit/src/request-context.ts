import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { requestIdFrom, type ServiceIdentity, servedBy } from './request-id.ts';
import { logRequestLine } from './request-log.ts';

export type { ServiceIdentity };

/**
 * Stores the request's id (requestIdFrom: the caller's when well-formed, else a new UUID) in
 * res.locals and echoes it, so one id follows a request through the facade and every service.
 */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const id = requestIdFrom(req.get('X-Request-Id'));
    res.locals.requestId = id;
    res.set('X-Request-Id', id);
    next();
  };
}

export function servedByHeader(identity: ServiceIdentity): RequestHandler {
  const value = servedBy(identity);
  return (_req, res, next) => {
    res.set('X-Served-By', value);
    next();
  };
}

/**
 * Gives each request a child logger carrying its id, and writes exactly one access line when
 * the response has been sent (or a warning when the client went away before that).
 */
export function requestLogging(log: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.locals.log = log.child({ requestId: res.locals.requestId });
    // 'close' rather than 'finish': it also fires when the client hangs up mid-request.
    res.on('close', () => {
      // The request's logger as it is now: a handler may have added fields to it (the facade
      // adds the route and the target). No requestId here: the child logger adds it.
      const requestLog = res.locals.log;
      const line = {
        method: req.method,
        path: req.originalUrl.split('?')[0] ?? '/',
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
      };
      logRequestLine(requestLog, line, { aborted: !res.writableFinished });
    });
    next();
  };
}
