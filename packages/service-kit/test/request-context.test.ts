import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createServiceApp, HttpError, requestIdFrom } from '../src/index.ts';
import { memoryDestination, startApp, type TestApp } from './helpers.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request context headers', () => {
  let server: TestApp;

  beforeAll(async () => {
    server = await startApp((app) => {
      app.get('/hello', (_req, res) => {
        res.locals.log.info('saying hello');
        res.json({ requestId: res.locals.requestId });
      });
      app.get('/teapot', () => {
        throw new HttpError(418);
      });
    });
  });
  afterAll(() => server.close());

  it('echoes a well-formed incoming X-Request-Id and exposes it in res.locals', async () => {
    const res = await fetch(`${server.url}/hello`, {
      headers: { 'X-Request-Id': 'abc.123:x-Y_z' },
    });

    expect(res.headers.get('x-request-id')).toBe('abc.123:x-Y_z');
    expect(await res.json()).toEqual({ requestId: 'abc.123:x-Y_z' });
  });

  it.each([
    ['characters outside the allowed set', 'has spaces and <html>'],
    ['more than 128 characters', 'a'.repeat(129)],
  ])('replaces an X-Request-Id with %s by a new UUID', async (_case, incoming) => {
    const res = await fetch(`${server.url}/hello`, { headers: { 'X-Request-Id': incoming } });

    expect(res.headers.get('x-request-id')).toMatch(UUID);
  });

  it('generates a request id when none is sent', async () => {
    const res = await fetch(`${server.url}/hello`);

    expect(res.headers.get('x-request-id')).toMatch(UUID);
  });

  it.each([
    ['an error response', '/teapot'],
    ['an unknown route', '/no/such/route'],
  ])('carries both headers on %s', async (_case, path) => {
    const res = await fetch(`${server.url}${path}`, { headers: { 'X-Request-Id': 'trace-1' } });

    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers.get('x-request-id')).toBe('trace-1');
    expect(res.headers.get('x-served-by')).toBe('test-service@00 (process)');
  });

  it('names the service, stage and kind in X-Served-By', async () => {
    const res = await fetch(`${server.url}/hello`);

    expect(res.headers.get('x-served-by')).toMatch(/^[a-z0-9-]+@\d\d \([a-z-]+\)$/);
    expect(res.headers.get('x-served-by')).toBe('test-service@00 (process)');
  });

  it('writes one access log line per response, and handler lines, with the request id', async () => {
    await fetch(`${server.url}/hello?secret=1`, { headers: { 'X-Request-Id': 'log-me' } });
    await new Promise((resolve) => setImmediate(resolve));

    const lines = server.logs.filter((line) => line.requestId === 'log-me');
    const access = lines.filter((line) => line.msg === 'request completed');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ method: 'GET', path: '/hello', status: 200, level: 'info' });
    expect(access[0]?.ms).toEqual(expect.any(Number));
    expect(lines.some((line) => line.msg === 'saying hello' && line.service === 'test')).toBe(true);
  });
});

describe('createServiceApp', () => {
  it('refuses an identity that would not match the X-Served-By format', () => {
    const log = createLogger({ service: 'test', destination: memoryDestination() });

    expect(() =>
      createServiceApp({ identity: { service: 'Slots', stage: '1', kind: 'process' }, log }),
    ).toThrow(/X-Served-By/);
  });
});

describe('requestIdFrom: the rule the request id middleware applies, as a plain function', () => {
  it.each(['abc.123:x-Y_z', 'a'.repeat(128), '0b9b4a0e-6f8e-4d8a-9d6c-2f1f6b1f7a11'])(
    'keeps the well-formed id %s',
    (id) => {
      expect(requestIdFrom(id)).toBe(id);
    },
  );

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['characters outside the allowed set', 'has spaces and <html>'],
    ['a line break', 'trace\nforged log line'],
    ['more than 128 characters', 'a'.repeat(129)],
  ])('mints a new UUID for %s', (_, header) => {
    expect(requestIdFrom(header)).toMatch(UUID);
  });

  it('mints a different id each time', () => {
    expect(requestIdFrom(undefined)).not.toBe(requestIdFrom(undefined));
  });
});
