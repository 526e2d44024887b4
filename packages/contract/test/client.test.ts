import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractClient, retryAfterMs } from '../src/index.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A tiny real server whose behaviour each test swaps in. */
let handler: Handler = (_req, res) => res.end();
let server: Server;
let baseUrl = '';

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function echoRequest(): Handler {
  return (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }));
  };
}

describe('ContractClient', () => {
  it('builds method, path, encoded path parameters and query from the operationId', async () => {
    handler = echoRequest();
    const client = new ContractClient({ baseUrl: () => baseUrl });

    const response = await client.call('createPost', {
      params: { id: 'a/b c' },
      json: { body: 'x' },
    });

    expect(response.body).toMatchObject({ method: 'POST', url: '/api/threads/a%2Fb%20c/posts' });
    expect(response.body).toMatchObject({ headers: { 'content-type': 'application/json' } });
  });

  it('sends raw path parameters and raw query strings untouched', async () => {
    handler = echoRequest();
    const client = new ContractClient({ baseUrl: () => baseUrl });

    const response = await client.call('getThread', {
      rawParams: { id: '%E0%A4%A' },
      query: 'x=%ZZ',
    });

    expect(response.body).toMatchObject({ url: '/api/threads/%E0%A4%A?x=%ZZ' });
  });

  it('sends a fresh X-Request-Id by default, the given one, or none', async () => {
    handler = echoRequest();
    const client = new ContractClient({ baseUrl: () => baseUrl });

    const generated = await client.call('getHealth');
    const given = await client.call('getHealth', { requestId: 'given-id' });
    const none = await client.call('getHealth', { requestId: null });

    expect(generated.sentRequestId).toMatch(/^contract-[0-9a-f-]{36}$/);
    expect(given.body).toMatchObject({ headers: { 'x-request-id': 'given-id' } });
    expect(none.sentRequestId).toBeNull();
    expect(none.body).not.toHaveProperty('headers.x-request-id');
  });

  it('records which operations answered with which statuses', async () => {
    let status = 200;
    handler = (_req, res) => {
      res.statusCode = status;
      res.end('{}');
    };
    const client = new ContractClient({ baseUrl: () => baseUrl });

    await client.call('getWallet');
    status = 401;
    await client.call('getWallet');
    await client.request('GET', '/not-an-operation');

    expect([...client.exercised.keys()]).toEqual(['getWallet']);
    expect([...(client.exercised.get('getWallet') ?? [])]).toEqual([200, 401]);
  });

  it('waits out a 429 for as long as Retry-After says, then returns the retried answer', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls += 1;
      if (calls === 1) {
        res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/problem+json' });
        res.end('{"type":"about:blank","title":"Too Many Requests","status":429}');
        return;
      }
      res.end('{"status":"ok"}');
    };
    const client = new ContractClient({ baseUrl: () => baseUrl });
    const started = Date.now();

    const response = await client.call('getHealth');

    expect(response.status).toBe(200);
    expect(response.rateLimitedRetries).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('returns a 429 with a problem type of its own at once, without waiting it out', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls += 1;
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/problem+json' });
      res.end(
        '{"type":"/problems/too-many-failed-logins","title":"Too many failed log-ins","status":429}',
      );
    };
    const client = new ContractClient({ baseUrl: () => baseUrl });

    const response = await client.call('getHealth');

    expect(response.status).toBe(429);
    expect(response.rateLimitedRetries).toBe(0);
    expect(calls).toBe(1);
  });

  it('returns the 429 once the retry budget is spent', async () => {
    handler = (_req, res) => {
      res.writeHead(429, { 'retry-after': '0' });
      res.end();
    };
    const client = new ContractClient({ baseUrl: () => baseUrl, maxRateLimitRetries: 2 });

    const response = await client.call('getHealth');

    expect(response.status).toBe(429);
    expect(response.rateLimitedRetries).toBe(2);
  });
});

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates, bounded, and defaults to a second', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');

    expect(retryAfterMs('3', 60, now)).toBe(3000);
    expect(retryAfterMs('Sun, 22 Nov 2026 10:00:05 GMT', 60, now)).toBe(5000);
    expect(retryAfterMs('600', 60, now)).toBe(60_000);
    expect(retryAfterMs(null, 60, now)).toBe(1000);
    expect(retryAfterMs('soon', 60, now)).toBe(1000);
  });
});
