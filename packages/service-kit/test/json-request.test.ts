import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError, type JsonRequest, parseJsonRequest } from '../src/core.ts';
import { startApp, type TestApp } from './helpers.ts';

const LIMIT = 64;

/** parseJsonRequest on a POST of JSON without a body, unless `request` says otherwise. */
function parse(request: Partial<JsonRequest>): unknown {
  return parseJsonRequest({
    method: 'POST',
    contentType: 'application/json',
    body: undefined,
    limitBytes: LIMIT,
    ...request,
  });
}

/** The HttpError parse throws (fails the test if it returns instead). */
function refusal(request: Partial<JsonRequest>): HttpError {
  let parsed: unknown;
  try {
    parsed = parse(request);
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error(`expected a refusal, got ${JSON.stringify(parsed)}`);
}

describe('parseJsonRequest: the JSON body rules as a plain function', () => {
  it('returns the parsed body of application/json and of any +json type', () => {
    expect(parse({ body: '{"bet":5}' })).toEqual({ bet: 5 });
    expect(parse({ contentType: 'application/merge-patch+json', body: '[1]' })).toEqual([1]);
    expect(parse({ contentType: 'application/json; charset=UTF-8', body: ' {}' })).toEqual({});
  });

  it('returns undefined for a request without a body', () => {
    expect(parse({ body: undefined, contentType: undefined })).toBeUndefined();
    expect(parse({ body: '', contentType: undefined })).toBeUndefined();
  });

  it('reads an empty JSON body as {}, as body-parser does', () => {
    expect(parse({ body: '' })).toEqual({});
  });

  it('refuses a body that is not JSON with 415, where a body means something', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'post']) {
      expect(refusal({ method, contentType: 'text/plain', body: 'bet=5' }).status).toBe(415);
    }
    expect(refusal({ contentType: undefined, body: '{"bet":5}' }).detail).toBe(
      'The request body must be JSON (Content-Type: application/json).',
    );
  });

  it('ignores a body that is not JSON on a GET', () => {
    expect(parse({ method: 'GET', contentType: 'text/plain', body: 'hello' })).toBeUndefined();
  });

  it('refuses a charset other than UTF-8 with 415', () => {
    const error = refusal({ contentType: 'application/json; charset=latin1', body: '{}' });

    expect(error.status).toBe(415);
    expect(error.detail).toBe('The request body uses an unsupported charset.');
  });

  it('refuses a body over the limit in bytes (not characters) with 413', () => {
    const text = 'é'.repeat(30); // 30 characters, 60 bytes in UTF-8
    const body = JSON.stringify({ text });

    expect(body.length).toBeLessThanOrEqual(LIMIT);
    expect(refusal({ body })).toMatchObject({
      status: 413,
      detail: 'The request body is too large.',
    });
  });

  it.each([
    ['malformed JSON', '{"bet":'],
    ['a top-level number', '5'],
    ['a top-level string', '"bet"'],
    ['a top-level null', 'null'],
  ])('refuses %s with 400, as body-parser strict mode does', (_, body) => {
    expect(refusal({ body })).toMatchObject({
      status: 400,
      detail: 'The request body is not valid JSON.',
    });
  });

  it('refuses text a database cannot store with 422 and the field that holds it', () => {
    const error = refusal({ body: '{"title":"a\\u0000b"}' });

    expect(error.status).toBe(422);
    expect(error.errors).toEqual([{ path: 'title', message: 'Must not contain U+0000 (NUL).' }]);
  });

  it('applies the rules in order: not JSON, then size, then syntax, then storable text', () => {
    expect(refusal({ contentType: 'text/plain', body: 'x'.repeat(LIMIT + 1) }).status).toBe(415);
    expect(refusal({ body: `"${'x'.repeat(LIMIT)}` }).status).toBe(413);
    expect(refusal({ body: '{"a":"\\u0000"' }).status).toBe(400);
  });
});

describe('parseJsonRequest and the Express chassis apply the same rules', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await startApp(
      (app) => {
        app.post('/echo', (req, res) => {
          res.json({ body: req.body ?? null });
        });
      },
      { bodyLimitBytes: LIMIT },
    );
  });
  afterAll(() => server.close());

  it.each([
    ['a JSON object', 'application/json', '{"bet":5}'],
    ['a +json type', 'application/merge-patch+json', '[1,2]'],
    ['an empty JSON body', 'application/json', ''],
    ['text/plain', 'text/plain', 'bet=5'],
    ['latin1 JSON', 'application/json; charset=latin1', '{}'],
    ['a body over the limit', 'application/json', JSON.stringify({ text: 'é'.repeat(30) })],
    ['malformed JSON', 'application/json', '{"bet":'],
    ['a top-level number', 'application/json', '5'],
    ['unstorable text', 'application/json', '{"title":"\\ud800"}'],
  ])('%s gets the same status and body both ways', async (_, contentType, body) => {
    const res = await fetch(`${server.url}/echo`, {
      method: 'POST',
      headers: { 'Content-Type': contentType },
      body,
    });
    const answer = (await res.json()) as Outcome;

    expect({ status: res.status, ...fieldsOf(answer) }).toEqual(plainOutcome(contentType, body));
  });

  it.each([
    ['gzip', 'gzip', gzipSync('{"bet":5}')],
    ['deflate', 'deflate', deflateSync('{"bet":5}')],
    ['br', 'br', brotliCompressSync('{"bet":5}')],
    ['GZIP in capitals', 'GZIP', gzipSync('{"bet":5}')],
    ['identity', 'identity', Buffer.from('{"bet":5}')],
    ['an encoding body-parser does not inflate', 'compress', Buffer.from('{"bet":5}')],
    ['gzip that does not inflate', 'gzip', Buffer.from('{"bet":5}')],
    ['gzip over the limit once inflated', 'gzip', gzipSync(`{"a":"${'x'.repeat(10 * LIMIT)}"}`)],
    ['gzip of malformed JSON', 'gzip', gzipSync('{"bet":')],
  ])('a body in %s gets the same status and body both ways', async (_, encoding, bytes) => {
    const res = await fetch(`${server.url}/echo`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': encoding },
      body: bytes,
    });
    const answer = (await res.json()) as Outcome;

    expect({ status: res.status, ...fieldsOf(answer) }).toEqual(
      plainOutcome('application/json', bytes, encoding),
    );
  });
});

type Outcome = { body?: unknown; detail?: string; errors?: unknown };

/** What parseJsonRequest makes of the request, in the shape the Express echo route answers. */
function plainOutcome(
  contentType: string,
  body: string | Uint8Array,
  contentEncoding?: string,
): Outcome & { status: number } {
  try {
    const parsed = parseJsonRequest({
      method: 'POST',
      contentType,
      contentEncoding,
      body,
      limitBytes: LIMIT,
    });
    return { status: 200, ...fieldsOf({ body: parsed ?? null }) };
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    return { status: err.status, ...fieldsOf({ detail: err.detail, errors: err.errors }) };
  }
}

function fieldsOf(answer: Outcome): Outcome {
  return { body: answer.body, detail: answer.detail, errors: answer.errors };
}
