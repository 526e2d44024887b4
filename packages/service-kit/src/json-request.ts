import { HttpError, problems } from './errors.ts';
import { BODY_ERROR_DETAILS } from './problem.ts';
import { unstorableTextErrors } from './text.ts';

/** The methods whose body means something; a body sent with a GET is ignored. */
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/** application/json or any structured-syntax +json type, e.g. application/merge-patch+json. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return (
    mediaType === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType)
  );
}

/**
 * The 415 for a body that is not JSON where a body means something. Without it a JSON parser
 * would silently skip the body and the route would then report a confusing 422.
 */
export function refuseNonJsonBody(method: string, hasBody: boolean, contentType?: string): void {
  if (METHODS_WITH_BODY.has(method) && hasBody && !isJsonMediaType(contentType)) {
    throw new HttpError(415, {
      detail: 'The request body must be JSON (Content-Type: application/json).',
    });
  }
}

/**
 * The 422 for text in a parsed body that no database column could store as sent, so no route
 * of any service has to remember to check.
 */
export function refuseUnstorableText(method: string, body: unknown): void {
  if (METHODS_WITH_BODY.has(method) && body !== undefined) {
    const errors = unstorableTextErrors(body);
    if (errors.length > 0) throw problems.validation(errors);
  }
}

export interface JsonRequest {
  method: string;
  contentType: string | undefined;
  /** The body as text (a Lambda adapter decodes a base64 body first); undefined when absent. */
  body: string | undefined;
  limitBytes: number;
}

/**
 * The JSON body rules of every service as one plain function, for an adapter that receives the
 * body as text (the Express chassis applies the same rules around express.json()): 415 for a
 * body that is not JSON or not UTF-8, 413 above the limit, 400 for malformed JSON (as
 * body-parser's strict mode: the top level is an object or an array), 422 for unstorable text.
 * Returns the parsed body, or undefined when the request has none.
 */
export function parseJsonRequest({ method, contentType, body, limitBytes }: JsonRequest): unknown {
  const verb = method.toUpperCase();
  refuseNonJsonBody(verb, body !== undefined && body !== '', contentType);
  if (body === undefined || !isJsonMediaType(contentType)) return undefined;
  const charset = /;\s*charset="?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && !charset.startsWith('utf-')) {
    throw new HttpError(415, { detail: BODY_ERROR_DETAILS.charset });
  }
  if (Buffer.byteLength(body, 'utf8') > limitBytes) {
    throw new HttpError(413, { detail: BODY_ERROR_DETAILS.tooLarge });
  }
  const parsed = parseStrictJson(body);
  refuseUnstorableText(verb, parsed);
  return parsed;
}

function parseStrictJson(text: string): unknown {
  // body-parser's special case, kept so both adapters answer an empty JSON body alike.
  if (text.length === 0) return {};
  const first = text.trimStart()[0];
  try {
    if (first !== '{' && first !== '[') throw new SyntaxError('not an object or an array');
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, { detail: BODY_ERROR_DETAILS.malformed, cause: err });
  }
}
