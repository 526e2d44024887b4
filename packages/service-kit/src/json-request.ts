import { brotliDecompressSync, gunzipSync, inflateSync, zstdDecompressSync } from 'node:zlib';
import { HttpError, problems } from './errors.ts';
import { BODY_ERROR_DETAILS } from './problem.ts';
import { unstorableTextErrors } from './text.ts';

/** Largest accepted JSON body by default (after inflating it): 32 KiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 32_768;

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
  /** The Content-Encoding header; absent or `identity` for a body sent as it is. */
  contentEncoding?: string | undefined;
  /**
   * The body: its bytes (a Lambda adapter decodes a base64 body first), or text for a body sent
   * as it is; undefined when absent.
   */
  body: Uint8Array | string | undefined;
  limitBytes: number;
}

/**
 * The JSON body rules of every service as one plain function, for an adapter that receives the
 * body whole (the Express chassis applies the same rules around express.json()): 415 for a
 * body that is not JSON, not UTF-8 or in a Content-Encoding body-parser does not inflate, 413
 * above the limit (counted after inflating, as body-parser does), 400 for malformed JSON (as
 * body-parser's strict mode: the top level is an object or an array) or a body its encoding
 * cannot decode, 422 for unstorable text. Returns the parsed body, or undefined when the request
 * has none.
 */
export function parseJsonRequest({
  method,
  contentType,
  contentEncoding,
  body,
  limitBytes,
}: JsonRequest): unknown {
  const verb = method.toUpperCase();
  refuseNonJsonBody(verb, body !== undefined && body.length > 0, contentType);
  if (body === undefined || !isJsonMediaType(contentType)) return undefined;
  const charset = /;\s*charset="?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && !charset.startsWith('utf-')) {
    throw new HttpError(415, { detail: BODY_ERROR_DETAILS.charset });
  }
  const bytes = inflated(typeof body === 'string' ? Buffer.from(body, 'utf8') : body, {
    encoding: contentEncoding,
    limitBytes,
  });
  if (bytes.byteLength > limitBytes) {
    throw new HttpError(413, { detail: BODY_ERROR_DETAILS.tooLarge });
  }
  const parsed = parseStrictJson(Buffer.from(bytes).toString('utf8'));
  refuseUnstorableText(verb, parsed);
  return parsed;
}

type Inflate = (buffer: Uint8Array, options: { maxOutputLength: number }) => Buffer;

// What body-parser (express.json()) inflates, so a compressed body fares alike on every adapter.
const INFLATERS = new Map<string, Inflate>([
  ['deflate', inflateSync],
  ['gzip', gunzipSync],
  ['br', brotliDecompressSync],
  ['zstd', zstdDecompressSync],
]);

/**
 * The body as sent, inflated per its Content-Encoding. Inflating stops one byte past the limit,
 * so a small compressed body cannot make the function allocate gigabytes.
 */
function inflated(
  body: Uint8Array,
  { encoding, limitBytes }: { encoding: string | undefined; limitBytes: number },
): Uint8Array {
  const name = (encoding ?? 'identity').toLowerCase();
  if (name === 'identity') return body;
  const inflate = INFLATERS.get(name);
  if (inflate === undefined) {
    throw new HttpError(415, { detail: BODY_ERROR_DETAILS.encoding });
  }
  try {
    return inflate(body, { maxOutputLength: limitBytes + 1 });
  } catch (err) {
    if (err instanceof RangeError)
      throw new HttpError(413, { detail: BODY_ERROR_DETAILS.tooLarge });
    throw new HttpError(400, { detail: BODY_ERROR_DETAILS.undecodable, cause: err });
  }
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
