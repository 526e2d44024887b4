import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HttpError, type ProblemDocument, parseBody, parseQuery, problems } from '../src/index.ts';
import { connectionRefusedError } from './closed-port.ts';
import { PROBLEM_JSON, startApp, type TestApp } from './helpers.ts';

const userSchema = z.object({ name: z.string().min(1), age: z.number().int() });
const listSchema = z.object({ limit: z.coerce.number().int().min(1).max(50).default(20) });

describe('problem+json error responses', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await startApp(
      (app) => {
        app.post('/users', (req, res) => {
          res.status(201).json(parseBody(userSchema, req.body));
        });
        app.get('/users', (req, res) => {
          res.json(parseQuery(listSchema, req.query));
        });
        app.get('/taken', () => {
          throw problems.conflict('username-taken', 'Username already taken', 'Pick another.');
        });
        app.get('/limited', () => {
          throw new HttpError(429, { headers: { 'Retry-After': '7' } });
        });
        app.get('/database', async () => {
          throw await connectionRefusedError();
        });
        app.get('/bug', async () => {
          throw new Error('secret internal detail');
        });
      },
      { bodyLimitBytes: 1024 },
    );
  });
  afterAll(() => server.close());

  function postUsers(body: string, headers: Record<string, string> = {}) {
    return fetch(`${server.url}/users`, { method: 'POST', body, headers });
  }

  it('answers a thrown HttpError with its status, type, title, detail and headers', async () => {
    const res = await fetch(`${server.url}/taken`);

    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
    expect(await res.json()).toEqual({
      type: '/problems/username-taken',
      title: 'Username already taken',
      status: 409,
      detail: 'Pick another.',
      instance: '/taken',
    });
  });

  it('keeps the headers an HttpError carries', async () => {
    const res = await fetch(`${server.url}/limited`);

    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('answers an unknown route with a 404 problem whose instance is the path', async () => {
    const res = await fetch(`${server.url}/nowhere?x=1`);

    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
    expect(await res.json()).toMatchObject({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      instance: '/nowhere',
    });
  });

  it('accepts a valid JSON body', async () => {
    const res = await postUsers('{"name":"ada","age":36,"extra":true}', {
      'Content-Type': 'application/json; charset=utf-8',
    });

    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ name: 'ada', age: 36 });
  });

  it('accepts a structured +json media type', async () => {
    const res = await postUsers('{"name":"ada","age":36}', {
      'Content-Type': 'application/vnd.course+json',
    });

    expect(res.status).toBe(201);
  });

  it('answers malformed JSON with 400', async () => {
    const res = await postUsers('{"name": ', { 'Content-Type': 'application/json' });

    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
    expect(await res.json()).toMatchObject({
      status: 400,
      type: 'about:blank',
      instance: '/users',
    });
  });

  it('answers a body over the limit with 413', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(2000), age: 1 });

    const res = await postUsers(body, { 'Content-Type': 'application/json' });

    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ status: 413, title: 'Payload Too Large' });
  });

  it.each([
    ['text/plain', { 'Content-Type': 'text/plain' }],
    ['form encoding', { 'Content-Type': 'application/x-www-form-urlencoded' }],
    ['an unsupported charset', { 'Content-Type': 'application/json; charset=latin1' }],
  ])('answers a body sent as %s with 415', async (_case, headers) => {
    const res = await postUsers('{"name":"ada","age":36}', headers);

    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
    expect(await res.json()).toMatchObject({ status: 415 });
  });

  it('answers a chunked body without a content type with 415', async () => {
    const chunks = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"name":"ada","age":36}'));
        controller.close();
      },
    });

    const res = await fetch(`${server.url}/users`, {
      method: 'POST',
      body: chunks,
      duplex: 'half',
    });

    expect(res.status).toBe(415);
  });

  it('lets an empty body through to validation, which answers 422', async () => {
    const res = await fetch(`${server.url}/users`, { method: 'POST' });

    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({
      type: '/problems/validation',
      errors: [{ path: '' }],
    });
  });

  it('answers a body that fails validation with 422 and one error per field', async () => {
    const res = await postUsers('{"name":"","age":"old"}', { 'Content-Type': 'application/json' });

    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
    const body = (await res.json()) as ProblemDocument;
    expect(body).toMatchObject({
      type: '/problems/validation',
      status: 422,
      instance: '/users',
    });
    expect(body.errors?.map((e) => e.path).sort()).toEqual(['age', 'name']);
    for (const error of body.errors ?? []) expect(error.message).toEqual(expect.any(String));
  });

  it.each([
    ['a NUL in a field', '{"name":"a\\u0000b","age":36}', 'name'],
    ['a lone surrogate in a field', '{"name":"a\\ud800b","age":36}', 'name'],
    ['a NUL in a field the route ignores', '{"name":"ada","age":36,"note":["\\u0000"]}', 'note.0'],
    ['a NUL in a property name', '{"name":"ada","age":36,"x\\u0000":1}', ''],
  ])(
    'answers a body with %s with 422 naming it, before any route sees it',
    async (_case, body, path) => {
      const res = await postUsers(body, { 'Content-Type': 'application/json' });

      expect(res.status).toBe(422);
      expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
      expect(await res.json()).toMatchObject({
        type: '/problems/validation',
        status: 422,
        errors: [{ path, message: expect.stringMatching(/must not contain/i) }],
      });
    },
  );

  it('accepts emoji and other astral characters and returns them unchanged', async () => {
    const name = 'Ada 🎰🍒🤖 𝄞';

    const res = await postUsers(JSON.stringify({ name, age: 36 }), {
      'Content-Type': 'application/json',
    });

    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ name, age: 36 });
  });

  it('answers an invalid query string with 400, naming the parameter', async () => {
    const res = await fetch(`${server.url}/users?limit=500`);

    expect(res.status).toBe(400);
    const body = (await res.json()) as ProblemDocument;
    expect(body.detail).toContain('limit');
    expect(body.errors).toEqual([{ path: 'limit', message: expect.any(String) }]);
  });

  it.each([
    ['a known parameter', 'limit=%00', 'limit'],
    ['a parameter the schema ignores', 'limit=5&note=a%00b', 'note'],
  ])('answers a NUL in %s of the query string with 400 naming it', async (_case, query, path) => {
    const res = await fetch(`${server.url}/users?${query}`);

    expect(res.status).toBe(400);
    const body = (await res.json()) as ProblemDocument;
    expect(body.detail).toContain(`${path}: Must not contain U+0000 (NUL).`);
    expect(body.errors).toEqual([{ path, message: 'Must not contain U+0000 (NUL).' }]);
  });

  it('answers with 503 when a dependency refuses connections', async () => {
    const res = await fetch(`${server.url}/database`);

    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
    expect(await res.json()).toMatchObject({ status: 503, title: 'Service Unavailable' });
  });

  it('answers an unexpected error with a 500 that hides the message and stack, and logs them', async () => {
    const res = await fetch(`${server.url}/bug`, { headers: { 'X-Request-Id': 'bug-1' } });

    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ status: 500, title: 'Internal Server Error' });
    expect(text).not.toContain('secret internal detail');
    expect(text).not.toContain('problems.test.ts');
    const logged = server.logs.find((l) => l.requestId === 'bug-1' && l.msg === 'unhandled error');
    expect(JSON.stringify(logged)).toContain('problems.test.ts');
  });
});

describe('problem constructors', () => {
  it('asks for a bearer token on 401', () => {
    expect(problems.unauthorized().headers).toEqual({ 'WWW-Authenticate': 'Bearer' });
  });

  it.each([
    ['a slug', 'insufficient-credits'],
    ['a full type', '/problems/insufficient-credits'],
  ])('builds a /problems/ conflict type from %s', (_case, type) => {
    expect(problems.conflict(type, 'Not enough credits').type).toBe(
      '/problems/insufficient-credits',
    );
  });

  it('joins nested validation paths with dots', () => {
    const schema = z.object({ reels: z.array(z.object({ id: z.string() })) });

    let error: unknown;
    try {
      parseBody(schema, { reels: [{ id: 'cherry' }, { id: 7 }] });
    } catch (err) {
      error = err;
    }

    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).errors).toEqual([
      { path: 'reels.1.id', message: expect.any(String) },
    ]);
  });
});
