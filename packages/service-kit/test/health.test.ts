import { afterEach, describe, expect, it } from 'vitest';
import { healthRoutes } from '../src/index.ts';
import { PROBLEM_JSON, startApp, type TestApp } from './helpers.ts';

describe('health routes', () => {
  let server: TestApp | undefined;
  afterEach(() => server?.close());

  async function serve(ready: () => Promise<void>, timeoutMs?: number) {
    server = await startApp((app) => app.use(healthRoutes({ ready, timeoutMs })));
    return server;
  }

  it('answers liveness without running the readiness check', async () => {
    let checks = 0;
    const { url } = await serve(async () => {
      checks += 1;
    });

    const res = await fetch(`${url}/healthz`);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(checks).toBe(0);
  });

  it('reports ready when the check succeeds', async () => {
    const { url } = await serve(async () => {});

    const res = await fetch(`${url}/readyz`);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
  });

  it('answers 503 problem+json when the check rejects, without leaking the reason', async () => {
    const { url, logs } = await serve(async () => {
      throw new Error('connect ECONNREFUSED 10.0.3.7:5432');
    });

    const res = await fetch(`${url}/readyz`);

    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ status: 503, instance: '/readyz' });
    expect(text).not.toContain('10.0.3.7');
    expect(JSON.stringify(logs)).toContain('10.0.3.7');
  });

  it('answers 503 when the check hangs past the timeout', async () => {
    const { url } = await serve(() => new Promise<void>(() => {}), 200);
    const started = performance.now();

    const res = await fetch(`${url}/readyz`);

    expect(res.status).toBe(503);
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('gives up after 2 seconds by default', async () => {
    const { url } = await serve(() => new Promise<void>(() => {}));
    const started = performance.now();

    const res = await fetch(`${url}/readyz`);

    expect(res.status).toBe(503);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1990);
  });
});
