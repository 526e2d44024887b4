import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defineRouteTable } from '../src/index.ts';
import {
  type Echo,
  FACADE_SERVED_BY,
  PROBLEM_JSON,
  rawRequest,
  sha256,
  startFacade,
  startUpstream,
  type TestFacade,
  type TestUpstream,
} from './helpers.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('the facade as a proxy', () => {
  let monolith: TestUpstream;
  let slots: TestUpstream;
  let silent: TestUpstream;
  let facade: TestFacade;

  beforeAll(async () => {
    monolith = await startUpstream('monolith');
    slots = await startUpstream('slots');
    // Answers without any X-Served-By of its own.
    silent = await startUpstream('silent', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('hello');
    });
    facade = await startFacade({
      table: defineRouteTable({
        targets: ['monolith', 'slots', 'silent'],
        routes: [
          // Listed before the wider slots pattern that also matches it.
          { name: 'leaderboard', paths: ['/api/slots/leaderboard'], target: 'monolith' },
          { name: 'slots', paths: ['/api/slots/*'], target: 'slots' },
          { name: 'silent', paths: ['/silent'], target: 'silent' },
          { name: 'api', paths: ['/api/*', '/.well-known/*'], target: 'monolith' },
        ],
      }),
      targets: { monolith: monolith.url, slots: slots.url, silent: silent.url },
    });
  });

  afterAll(async () => {
    await facade.close();
    await Promise.all([monolith.kill(), slots.kill(), silent.kill()]);
  });

  describe('routing', () => {
    it.each([
      ['/api/slots/wallet', 'slots'],
      ['/api/slots/spins?limit=5', 'slots'],
      ['/api/threads', 'monolith'],
      ['/.well-known/jwks.json', 'monolith'],
    ])('sends %s to %s', async (path, target) => {
      const res = await fetch(`${facade.url}${path}`);

      expect(res.status).toBe(200);
      const echo = (await res.json()) as Echo;
      expect(echo.served).toBe(target);
      expect(echo.url).toBe(path);
    });

    it('uses the first route that matches, in table order', async () => {
      const res = await fetch(`${facade.url}/api/slots/leaderboard`);

      expect(((await res.json()) as Echo).served).toBe('monolith');
    });

    it('answers 404 problem+json for a path no route matches, contacting no target', async () => {
      const before = monolith.requests.length + slots.requests.length;

      const res = await fetch(`${facade.url}/not/routed`);

      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
      expect(await res.json()).toMatchObject({ status: 404, instance: '/not/routed' });
      expect(monolith.requests.length + slots.requests.length).toBe(before);
    });

    it('passes the method, the query string and the status through', async () => {
      const res = await fetch(`${facade.url}/api/threads/1?cursor=abc&limit=2`, {
        method: 'DELETE',
      });

      const echo = (await res.json()) as Echo;
      expect(echo.method).toBe('DELETE');
      expect(echo.url).toBe('/api/threads/1?cursor=abc&limit=2');
    });
  });

  describe('request bodies', () => {
    it('streams a JSON body to the target byte for byte, headers included', async () => {
      const body = JSON.stringify({ bet: 5, note: 'ünïcödé' });

      const res = await fetch(`${facade.url}/api/slots/spins`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'spin-1' },
        body,
      });

      const echo = (await res.json()) as Echo;
      expect(echo.method).toBe('POST');
      expect(echo.bodySha256).toBe(sha256(Buffer.from(body)));
      expect(echo.headers['content-type']).toBe('application/json');
      expect(echo.headers['idempotency-key']).toBe('spin-1');
    });

    it('streams an 8 MiB body intact', async () => {
      const body = randomBytes(8 * 1024 * 1024);

      const res = await fetch(`${facade.url}/api/threads`, { method: 'POST', body });

      const echo = (await res.json()) as Echo;
      expect(echo.bodyLength).toBe(body.length);
      expect(echo.bodySha256).toBe(sha256(body));
    });
  });

  describe('headers', () => {
    it('forwards a valid incoming X-Request-Id to the target and returns it', async () => {
      const res = await fetch(`${facade.url}/api/threads`, {
        headers: { 'X-Request-Id': 'trace-42' },
      });

      expect(res.headers.get('x-request-id')).toBe('trace-42');
      expect(((await res.json()) as Echo).headers['x-request-id']).toBe('trace-42');
    });

    it('makes a request id when there is none, and the target sees the same one', async () => {
      const res = await fetch(`${facade.url}/api/threads`, {
        headers: { 'X-Request-Id': 'not valid <script>' },
      });

      const id = res.headers.get('x-request-id');
      expect(id).toMatch(UUID);
      expect(((await res.json()) as Echo).headers['x-request-id']).toBe(id);
    });

    it("passes the target's X-Served-By through untouched", async () => {
      const res = await fetch(`${facade.url}/api/slots/wallet`);

      expect(res.headers.get('x-served-by')).toBe('slots@01 (process)');
    });

    it('adds no X-Served-By of its own to the answer of a target that sends none', async () => {
      const res = await fetch(`${facade.url}/silent`);

      expect(await res.text()).toBe('hello');
      expect(res.headers.get('x-served-by')).toBeNull();
      expect(res.headers.get('x-request-id')).toMatch(UUID);
    });

    it('names itself in X-Served-By on the answers it makes itself', async () => {
      const answers = await Promise.all(
        ['/healthz', '/readyz', '/not/routed'].map((path) => fetch(`${facade.url}${path}`)),
      );

      expect(answers.map((res) => res.headers.get('x-served-by'))).toEqual([
        FACADE_SERVED_BY,
        FACADE_SERVED_BY,
        FACADE_SERVED_BY,
      ]);
    });

    it('tells the target who called, replacing what an untrusted client claims', async () => {
      const res = await fetch(`${facade.url}/api/threads`, {
        headers: { 'X-Forwarded-For': '203.0.113.66', 'X-Forwarded-Host': 'evil.example' },
      });

      const { headers } = (await res.json()) as Echo;
      expect(headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(headers['x-forwarded-proto']).toBe('http');
      expect(headers['x-forwarded-host']).toBe(new URL(facade.url).host);
      // The Host header itself is the client's, as an ALB would pass it.
      expect(headers.host).toBe(new URL(facade.url).host);
    });
  });

  describe('health', () => {
    it('answers /healthz and /readyz itself', async () => {
      const before = monolith.requests.length;

      const health = await fetch(`${facade.url}/healthz`);
      const ready = await fetch(`${facade.url}/readyz`);

      expect(await health.json()).toEqual({ status: 'ok' });
      expect(await ready.json()).toEqual({ status: 'ready' });
      expect(monolith.requests.length).toBe(before);
    });
  });

  describe('logs', () => {
    it('writes one access line with the request id, route, target, status and time', async () => {
      await fetch(`${facade.url}/api/slots/wallet`, { headers: { 'X-Request-Id': 'log-me' } });

      // The line is written when the response closes, just after the client has it.
      const lines = await vi.waitFor(() => {
        const written = facade.logs.filter((line) => line.requestId === 'log-me');
        expect(written).toHaveLength(1);
        return written;
      });
      expect(lines[0]).toMatchObject({
        msg: 'request completed',
        service: 'facade',
        method: 'GET',
        path: '/api/slots/wallet',
        route: 'slots',
        target: 'slots',
        status: 200,
      });
      expect(lines[0]?.ms).toEqual(expect.any(Number));
    });
  });
});

describe('a facade with a fallback', () => {
  it('lets the fallback answer what no route claims, and still routes what one does', async () => {
    const api = await startUpstream('api');
    const facade = await startFacade({
      table: defineRouteTable({
        targets: ['api'],
        routes: [{ name: 'api', paths: ['/api/*'], target: 'api' }],
      }),
      targets: { api: api.url },
      fallback: (_req, res) => {
        res.type('html').send('<p>the web app</p>');
      },
    });
    try {
      const page = await fetch(`${facade.url}/forum`);
      const routed = await fetch(`${facade.url}/api/threads`);

      expect(page.status).toBe(200);
      expect(await page.text()).toBe('<p>the web app</p>');
      expect(routed.headers.get('x-served-by')).toBe('api@01 (process)');
      expect(api.requests.map((seen) => seen.url)).toEqual(['/api/threads']);
    } finally {
      await facade.close();
      await api.kill();
    }
  });
});

describe('a facade behind a trusted proxy', () => {
  it('appends the address it sees to the X-Forwarded-For of the proxy it trusts', async () => {
    const monolith = await startUpstream('monolith');
    const facade = await startFacade({
      table: defineRouteTable({
        targets: ['monolith'],
        routes: [{ name: 'all', paths: ['/*'], target: 'monolith' }],
      }),
      targets: { monolith: monolith.url },
      trustProxy: 1,
    });

    try {
      const res = await fetch(`${facade.url}/x`, {
        headers: { 'X-Forwarded-For': '198.51.100.7', 'X-Forwarded-Proto': 'https' },
      });

      const { headers } = (await res.json()) as Echo;
      expect(headers['x-forwarded-for']).toBe('198.51.100.7, 127.0.0.1');
      expect(headers['x-forwarded-proto']).toBe('https');
    } finally {
      await facade.close();
      await monolith.kill();
    }
  });
});

describe('an HTTP/1.0 request without a Host header', () => {
  it('is forwarded without X-Forwarded-Host, and never opens the circuit', async () => {
    const monolith = await startUpstream('monolith');
    const facade = await startFacade({
      table: defineRouteTable({
        targets: ['monolith'],
        routes: [{ name: 'all', paths: ['/*'], target: 'monolith' }],
      }),
      targets: { monolith: monolith.url },
      breaker: { failureThreshold: 1, openMs: 60_000 },
    });

    try {
      const answers = [];
      for (let i = 0; i < 3; i++)
        answers.push(await rawRequest(facade.url, 'GET /x HTTP/1.0\r\n\r\n'));
      const after = await fetch(`${facade.url}/x`);

      for (const raw of answers) expect(raw).toMatch(/^HTTP\/1\.1 200 /);
      expect(monolith.requests).toHaveLength(4);
      expect(monolith.requests[0]?.headers).not.toHaveProperty('x-forwarded-host');
      expect(after.status).toBe(200);
    } finally {
      await facade.close();
      await monolith.kill();
    }
  });
});
