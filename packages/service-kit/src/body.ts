import express, { type Request, type RequestHandler } from 'express';
import { HttpError, problems } from './errors.ts';
import { unstorableTextErrors } from './text.ts';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** application/json or any structured-syntax +json type, e.g. application/merge-patch+json. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    mediaType === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType)
  );
}

/**
 * JSON body parsing in three steps. First refuse a body that is not JSON with 415, because
 * express.json() would silently skip it and the route would then report a confusing 422.
 * Then parse JSON bodies up to the limit; its errors (413, 400, 415) reach the error middleware.
 * Last, refuse with 422 any text in the body that no database column could store as sent, so no
 * route of any service has to remember to. A request without a body passes through with
 * `req.body` undefined.
 */
export function jsonBody(limitBytes: number): RequestHandler[] {
  return [
    rejectNonJsonBodies(),
    express.json({
      limit: limitBytes,
      type: (req) => isJsonMediaType(req.headers['content-type']),
    }),
    rejectUnstorableText(),
  ];
}

function rejectNonJsonBodies(): RequestHandler {
  return (req, _res, next) => {
    if (
      METHODS_WITH_BODY.has(req.method) &&
      hasBody(req) &&
      !isJsonMediaType(req.get('Content-Type'))
    ) {
      throw new HttpError(415, {
        detail: 'The request body must be JSON (Content-Type: application/json).',
      });
    }
    next();
  };
}

// Only where a body means something, as for the 415 above: a body sent with a GET is ignored.
function rejectUnstorableText(): RequestHandler {
  return (req, _res, next) => {
    if (METHODS_WITH_BODY.has(req.method) && req.body !== undefined) {
      const errors = unstorableTextErrors(req.body);
      if (errors.length > 0) throw problems.validation(errors);
    }
    next();
  };
}

function hasBody(req: Request): boolean {
  const length = req.get('Content-Length');
  return req.get('Transfer-Encoding') !== undefined || (length !== undefined && length !== '0');
}
