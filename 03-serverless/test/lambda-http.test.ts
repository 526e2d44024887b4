import { gzipSync } from 'node:zlib';
import { createLogger, HttpError } from '@course/service-kit/core';
import { describe, expect, it } from 'vitest';
import { type HttpFunctionOptions, httpFunction } from '../src/lambda/http.ts';
import { loadHttpFunctionConfig } from '../src/slots/config.ts';
import { httpSlotsEnvironment, httpSlotsFunction } from '../src/slots/environment.ts';
import { type EventOptions, httpEvent, lambdaContext } from './events.ts';

/*
 * The Lambda HTTP adapter on its own, with fixture events and routes that echo what they were
 * given: the contract's conventions (X-Request-Id, X-Served-By, problem+json, the JSON body
 * rules) hold for every answer, errors included, whatever the route does.
 */

function memoryLog() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    service: 'slots',
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  return { log, lines };
}

function adapter(routes: HttpFunctionOptions['routes'] = {}, bodyLimitBytes?: number) {
  const { log, lines } = memoryLog();
  const handler = httpFunction({
    identity: { service: 'slots', stage: '03', kind: 'lambda' },
    log,
    routes,
    ...(bodyLimitBytes === undefined ? {} : { bodyLimitBytes }),
  });
  return {
    call: (event: EventOptions, remainingMs?: number) =>
      handler(httpEvent(event), lambdaContext(remainingMs)),
    lines,
  };
}

const spins = { routeKey: 'POST /api/slots/spins', method: 'POST', path: '/api/slots/spins' };
const json = { 'content-type': 'application/json' };
const echo = {
  'POST /api/slots/spins': (request: { body: unknown }) => ({ status: 201, body: request.body }),
};

describe('every answer', () => {
  it('carries X-Served-By slots@03 (lambda) and keeps a well-formed X-Request-Id', async () => {
    const { call } = adapter({ 'GET /api/slots/machine': () => ({ status: 200, body: {} }) });

    const answer = await call({
      routeKey: 'GET /api/slots/machine',
      method: 'GET',
      path: '/api/slots/machine',
      headers: { 'x-request-id': 'trace-42' },
    });

    expect(answer.statusCode).toBe(200);
    expect(answer.headers?.['x-served-by']).toBe('slots@03 (lambda)');
    expect(answer.headers?.['x-request-id']).toBe('trace-42');
    expect(answer.headers?.['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers?.['x-content-type-options']).toBe('nosniff');
  });

  it('mints a request id when the caller sent none or a malformed one, errors included', async () => {
    const { call } = adapter();

    const answer = await call({
      routeKey: '$default',
      method: 'GET',
      path: '/api/slots/nope',
      headers: { 'x-request-id': 'bad id with spaces' },
    });

    expect(answer.headers?.['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.headers?.['x-served-by']).toBe('slots@03 (lambda)');
    expect(answer.headers?.['x-content-type-options']).toBe('nosniff');
  });

  it('is logged once, as a JSON line with the request id, status and duration', async () => {
    const { call, lines } = adapter(echo);

    await call({ ...spins, headers: { ...json, 'x-request-id': 'r-1' }, body: '{"bet":1}' });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      // API Gateway's own id, as the fixture event carries it: a UUID.
      apiRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      requestId: 'r-1',
      method: 'POST',
      path: '/api/slots/spins',
      status: 201,
      msg: 'request completed',
    });
    expect(lines[0]?.ms).toEqual(expect.any(Number));
  });
});

describe('routing', () => {
  it('answers the $default route with the contract 404 problem, its instance the raw path', async () => {
    const { call } = adapter(echo);

    const answer = await call({ routeKey: '$default', method: 'DELETE', path: '/api/slots/x/y' });

    expect(answer.statusCode).toBe(404);
    expect(answer.headers?.['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(answer.body ?? '')).toMatchObject({
      status: 404,
      title: 'Not Found',
      detail: 'No route for DELETE /api/slots/x/y.',
      instance: '/api/slots/x/y',
    });
  });

  it('finds no route behind a route key that names an inherited property', async () => {
    const { call } = adapter(echo);

    const answer = await call({ routeKey: 'constructor', method: 'GET', path: '/constructor' });

    expect(answer.statusCode).toBe(404);
  });
});

describe('the function timeout', () => {
  it('answers a route still running shortly before it with a 503 problem, ids included', async () => {
    const { call, lines } = adapter({
      'GET /api/slots/machine': () => new Promise(() => {}),
    });
    const started = performance.now();

    // 800 ms left: the adapter keeps 500 ms to answer in.
    const answer = await call(
      {
        routeKey: 'GET /api/slots/machine',
        method: 'GET',
        path: '/api/slots/machine',
        headers: { 'x-request-id': 'slow-1' },
      },
      800,
    );

    expect(performance.now() - started).toBeLessThan(800);
    expect(answer.statusCode).toBe(503);
    expect(answer.headers?.['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.headers?.['x-request-id']).toBe('slow-1');
    expect(answer.headers?.['x-served-by']).toBe('slots@03 (lambda)');
    expect(JSON.parse(answer.body ?? '')).toMatchObject({ status: 503 });
    expect(lines.some((line) => line.msg === 'request abandoned before the function timeout')).toBe(
      true,
    );
  });
});

describe('the JSON body', () => {
  it('reaches the route parsed, also when API Gateway sent it base64-encoded', async () => {
    const { call } = adapter(echo);
    const body = JSON.stringify({ bet: 3, note: 'ünïcode ✓' });

    const plain = await call({ ...spins, headers: json, body });
    const encoded = await call({
      ...spins,
      headers: json,
      body: Buffer.from(body, 'utf8').toString('base64'),
      isBase64Encoded: true,
    });

    expect(JSON.parse(plain.body ?? '')).toEqual({ bet: 3, note: 'ünïcode ✓' });
    expect(JSON.parse(encoded.body ?? '')).toEqual({ bet: 3, note: 'ünïcode ✓' });
  });

  it('reaches the route inflated when it was sent gzip-compressed, as express.json() does', async () => {
    const { call } = adapter(echo);

    const answer = await call({
      ...spins,
      headers: { ...json, 'content-encoding': 'gzip' },
      body: gzipSync('{"bet":2}').toString('base64'),
      isBase64Encoded: true,
    });

    expect(answer.statusCode).toBe(201);
    expect(JSON.parse(answer.body ?? '')).toEqual({ bet: 2 });
  });

  it.each([
    [
      'in an encoding express.json() does not inflate',
      { ...json, 'content-encoding': 'compress' },
      'x',
      415,
    ],
    ['gzip that does not inflate', { ...json, 'content-encoding': 'gzip' }, 'not gzip', 400],
    ['not JSON', { 'content-type': 'text/plain' }, 'bet=1', 415],
    ['malformed JSON', json, '{"bet":', 400],
    ['too large', json, JSON.stringify({ pad: 'x'.repeat(200) }), 413],
    ['text no database can store', json, JSON.stringify({ note: 'nul\u0000' }), 422],
  ])(
    'refuses a body that is %s with a problem, before the route runs',
    async (_what, headers, body, status) => {
      let routeRan = false;
      const { call } = adapter(
        {
          'POST /api/slots/spins': () => {
            routeRan = true;
            return { status: 201, body: {} };
          },
        },
        100,
      );

      const answer = await call({ ...spins, headers, body });

      expect(answer.statusCode).toBe(status);
      expect(answer.headers?.['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(answer.body ?? '')).toMatchObject({ status, instance: '/api/slots/spins' });
      expect(routeRan).toBe(false);
    },
  );
});

describe('errors a route throws', () => {
  it('answer an HttpError as its problem, with its headers', async () => {
    const { call } = adapter({
      'POST /api/slots/spins': () => {
        throw new HttpError(401, { detail: 'No.', headers: { 'WWW-Authenticate': 'Bearer' } });
      },
    });

    const answer = await call({ ...spins, headers: json, body: '{}' });

    expect(answer.statusCode).toBe(401);
    expect(answer.headers?.['www-authenticate']).toBe('Bearer');
    expect(Object.keys(answer.headers ?? {}).every((name) => name === name.toLowerCase())).toBe(
      true,
    );
    expect(JSON.parse(answer.body ?? '')).toMatchObject({ status: 401, detail: 'No.' });
  });

  it('answer anything else as a 500 problem that shows nothing of the error, and log it', async () => {
    const { call, lines } = adapter({
      'POST /api/slots/spins': () => {
        throw new Error('secret database detail');
      },
    });

    const answer = await call({ ...spins, headers: json, body: '{}' });

    expect(answer.statusCode).toBe(500);
    expect(answer.body).not.toContain('secret');
    expect(answer.headers?.['x-served-by']).toBe('slots@03 (lambda)');
    expect(
      lines.some((line) => line.level === 'error' && JSON.stringify(line).includes('secret')),
    ).toBe(true);
  });
});

describe('a function whose init failed', () => {
  it('answers every request with a 503 problem, ids included, and logs the cause once', async () => {
    const { log, lines } = memoryLog();
    // A configuration without JWKS_URL, as a deploy that forgot it would give the function.
    const handler = httpSlotsFunction(() => ({}), {
      loadEnvironment: () =>
        httpSlotsEnvironment(loadHttpFunctionConfig({ DATABASE_URL: 'postgres://db/slots' })),
      initLog: () => log,
    });
    const machine = {
      routeKey: 'GET /api/slots/machine',
      method: 'GET',
      path: '/api/slots/machine',
      headers: { 'x-request-id': 'after-bad-deploy' },
    };

    const first = await handler(httpEvent(machine), lambdaContext());
    const second = await handler(httpEvent(machine), lambdaContext());

    for (const answer of [first, second]) {
      expect(answer.statusCode).toBe(503);
      expect(answer.headers?.['content-type']).toMatch(/^application\/problem\+json/);
      expect(answer.headers?.['x-request-id']).toBe('after-bad-deploy');
      expect(answer.headers?.['x-served-by']).toBe('slots@03 (lambda)');
    }
    const fatal = lines.filter((line) => line.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(JSON.stringify(fatal[0])).toContain('JWKS_URL');
  });
});
