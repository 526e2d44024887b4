import express, { type Request, type RequestHandler } from 'express';
import { isJsonMediaType, refuseNonJsonBody, refuseUnstorableText } from './json-request.ts';

/**
 * JSON body parsing in three steps, with the rules parseJsonRequest applies to a body given as
 * text. First refuse a body that is not JSON with 415, because express.json() would silently
 * skip it and the route would then report a confusing 422. Then parse JSON bodies up to the
 * limit; its errors (413, 400, 415) reach the error middleware. Last, refuse with 422 any text in
 * the body that no database column could store as sent. A request without a body passes
 * through with `req.body` undefined.
 */
export function jsonBody(limitBytes: number): RequestHandler[] {
  return [
    (req, _res, next) => {
      refuseNonJsonBody(req.method, hasBody(req), req.get('Content-Type'));
      next();
    },
    express.json({
      limit: limitBytes,
      type: (req) => isJsonMediaType(req.headers['content-type']),
    }),
    (req, _res, next) => {
      refuseUnstorableText(req.method, req.body);
      next();
    },
  ];
}

function hasBody(req: Request): boolean {
  const length = req.get('Content-Length');
  return req.get('Transfer-Encoding') !== undefined || (length !== undefined && length !== '0');
}
