import { afterEach, describe, expect, it } from 'vitest';
import { healthRoutes } from '../src/index.ts';
import { PROBLEM_JSON, startApp, type TestApp } from './helpers.ts';

describe('rate limiting', () => {
  let server: TestApp | undefined;
  afterEach(() => server?.close());

  async function serve(rateLimitPerMinute: number, trustProxy?: number | string) {
    server = await startApp(
      (app) => {
        app.use(healthRoutes({ ready: async () => {} }));
        app.get('/ping', (_req, res) => {
          res.json({ pong: true });
        });
        app.get('/internal/ping', (_req, res) => {
          res.json({ pong: true });
        });
      },
      { rateLimitPerMinute, trustProxy },
    );
    return server;
  }

  const from = (client: string) => ({ headers: { 'x-forwarded-for': client } });

  it('answers 429 problem+json with Retry-After once a client exceeds its limit', async () => {
    const { url } = await serve(2);
    await fetch(`${url}/ping`);
    await fetch(`${url}/ping`);

    const res = await fetch(`${url}/ping`);

    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(await res.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
  });

  it('never limits the health probes', async () => {
    const { url } = await serve(1);
    await fetch(`${url}/ping`);

    const statuses = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await fetch(`${url}/healthz`)).status, (await fetch(`${url}/readyz`)).status);
    }

    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
  });

  it('never limits service-to-service calls under /internal, which no public route reaches', async () => {
    const { url } = await serve(1);
    await fetch(`${url}/ping`);

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${url}/internal/ping`)).status);

    expect(statuses).toEqual([200, 200, 200]);
    expect((await fetch(`${url}/ping`)).status).toBe(429);
  });

  it('behind one trusted proxy, limits each client by its forwarded address', async () => {
    const { url } = await serve(2, 1);
    await fetch(`${url}/ping`, from('203.0.113.1'));
    await fetch(`${url}/ping`, from('203.0.113.1'));

    const sameClient = await fetch(`${url}/ping`, from('203.0.113.1'));
    const otherClient = await fetch(`${url}/ping`, from('203.0.113.2'));

    expect(sameClient.status).toBe(429);
    expect(otherClient.status).toBe(200);
  });

  it('ignores X-Forwarded-For from an untrusted peer, so a client cannot dodge its limit', async () => {
    const { url } = await serve(2, 0);
    await fetch(`${url}/ping`, from('203.0.113.1'));
    await fetch(`${url}/ping`, from('203.0.113.2'));

    const res = await fetch(`${url}/ping`, from('203.0.113.3'));

    expect(res.status).toBe(429);
  });

  it('is disabled by a limit of 0', async () => {
    const { url } = await serve(0);

    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${url}/ping`)).status);

    expect(statuses).toEqual([200, 200, 200, 200, 200]);
  });
});

describe('security headers', () => {
  let server: TestApp | undefined;
  afterEach(() => server?.close());

  it('sets helmet headers and a CSP that lets a Vite app load from its own origin', async () => {
    server = await startApp((app) => {
      app.get('/', (_req, res) => {
        res.send('<!doctype html>');
      });
    });

    const res = await fetch(`${server.url}/`);

    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    const csp = (res.headers.get('content-security-policy') ?? '').split(';');
    expect(csp).toEqual(
      expect.arrayContaining([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
      ]),
    );
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  it('sets them on error responses too', async () => {
    server = await startApp(() => {});

    const res = await fetch(`${server.url}/missing`);

    expect(res.status).toBe(404);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  });
});
