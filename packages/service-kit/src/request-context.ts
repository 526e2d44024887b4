import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

/** Which process answered: rendered as the X-Served-By header `${service}@${stage} (${kind})`. */
export interface ServiceIdentity {
  /** e.g. "monolith", "slots" */
  service: string;
  /** Two digits, the course stage, e.g. "00". */
  stage: string;
  /** How it runs, e.g. "process", "container", "lambda". */
  kind: string;
}

const SERVED_BY = /^[a-z0-9-]+@\d\d \([a-z-]+\)$/;
// Only harmless characters, so a client cannot inject text into our logs or headers.
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function servedBy(identity: ServiceIdentity): string {
  const value = `${identity.service}@${identity.stage} (${identity.kind})`;
  if (!SERVED_BY.test(value)) {
    throw new Error(`X-Served-By "${value}" does not match ${SERVED_BY}`);
  }
  return value;
}

/**
 * Keeps the caller's X-Request-Id when it is well-formed (so one id follows a request through
 * the facade and every service), else mints a UUID; echoes it and stores it in res.locals.
 */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('X-Request-Id');
    const id = incoming && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
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
