import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { HttpError } from './errors.ts';
import { isJsonMediaType, refuseNonJsonBody, refuseUnstorableText } from './json-request.ts';
import { BODY_ERROR_DETAILS } from './problem.ts';

/**
 * JSON body parsing in three steps, with the rules parseJsonRequest applies to a body given as
 * text. First refuse a body that is not JSON with 415, because express.json() would silently
 * skip it and the route would then report a confusing 422. Then parse JSON bodies up to the
 * limit; its errors (413, 400, 415) reach the error middleware. Last, refuse with 422 any text in
 * the body that no database column could store as sent. A request without a body passes
 * through with `req.body` undefined.
 */
export function jsonBody(limitBytes: number): (RequestHandler | ErrorRequestHandler)[] {
  const refuseNonJson: RequestHandler = (req, _res, next) => {
    refuseNonJsonBody(req.method, hasBody(req), req.get('Content-Type'));
    next();
  };
  const refuseUnstorable: RequestHandler = (req, _res, next) => {
    refuseUnstorableText(req.method, req.body);
    next();
  };
  return [
    refuseNonJson,
    express.json({
      limit: limitBytes,
      type: (req) => isJsonMediaType(req.headers['content-type']),
    }),
    undecodableBody(),
    refuseUnstorable,
  ];
}

function hasBody(req: Request): boolean {
  const length = req.get('Content-Length');
  return req.get('Transfer-Encoding') !== undefined || (length !== undefined && length !== '0');
}

/**
 * A compressed body that does not inflate: body-parser passes on the decompressor's own error
 * with status 400 and no `type` (its other errors all have one). Given the detail
 * parseJsonRequest gives the same body.
 */
function undecodableBody(): ErrorRequestHandler {
  return (err, req, _res, next) => {
    const encoding = req.get('Content-Encoding')?.toLowerCase() ?? 'identity';
    const fromInflating = encoding !== 'identity' && err?.status === 400 && err?.type === undefined;
    next(
      fromInflating
        ? new HttpError(400, { detail: BODY_ERROR_DETAILS.undecodable, cause: err })
        : err,
    );
  };
}
