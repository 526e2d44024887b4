import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { defineRouteTable, FROZEN_RETRY_AFTER_SECONDS, type RouteTable } from '../src/index.ts';
import {
  type Echo,
  FACADE_SERVED_BY,
  PROBLEM_JSON,
  sleep,
  startFacade,
  startUpstream,
  type TestFacade,
  type TestUpstream,
} from './helpers.ts';

type Target = 'monolith' | 'slots';

/** Slots routes to the slots target, everything else to the monolith. */
function table(slots: { timeoutMs?: number; frozen?: boolean } = {}): RouteTable<Target> {
  return defineRouteTable({
    targets: ['monolith', 'slots'],
    routes: [
      { name: 'slots', paths: ['/api/slots/*'], target: 'slots', ...slots },
      { name: 'monolith', paths: ['/*'], target: 'monolith' },
    ],
  });
}

/** A POST that announces `length` bytes, sends `sent` of them and waits for the answer. */
function partialUpload(
  url: string,
  length: number,
  sent: number,
): Promise<{ status: number; contentType: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(length) },
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] });
      req.destroy();
    });
    req.on('error', reject);
    req.write(Buffer.alloc(sent));
  });
}

async function timed(request: Promise<Response>): Promise<{ res: Response; ms: number }> {
  const started = performance.now();
  const res = await request;
  await res.arrayBuffer();
  return { res, ms: performance.now() - started };
}

describe('when a target fails', () => {
  let monolith: TestUpstream;
  let slots: TestUpstream;
  let facade: TestFacade;

  afterEach(async () => {
    await facade.close();
    await Promise.all([monolith.kill(), slots.kill()]);
  });

  async function start(
    routes: RouteTable<Target>,
    breaker?: { failureThreshold?: number; openMs?: number },
  ) {
    monolith = await startUpstream('monolith');
    slots = await startUpstream('slots');
    facade = await startFacade({
      table: routes,
      targets: { monolith: monolith.url, slots: slots.url },
      breaker,
    });
  }

  it('answers 504 problem+json when the target is slower than the route allows', async () => {
    await start(table({ timeoutMs: 100 }));

    const { res, ms } = await timed(fetch(`${facade.url}/api/slots/wallet?delay=2000`));

    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
    expect(res.headers.get('x-served-by')).toBe(FACADE_SERVED_BY);
    expect(ms).toBeLessThan(1000);
  });

  it('answers a frozen route with 503 and Retry-After, without contacting the target', async () => {
    await start(table({ frozen: true }));

    const res = await fetch(`${facade.url}/api/slots/spins`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"bet":1}',
    });

    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe(String(FROZEN_RETRY_AFTER_SECONDS));
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
    expect(await res.json()).toMatchObject({ type: 'about:blank', status: 503 });
    expect(slots.requests).toHaveLength(0);
  });

  it("answers 503 within a second on a killed target's routes, the other routes all 200", async () => {
    await start(table(), { failureThreshold: 3, openMs: 60_000 });
    expect((await fetch(`${facade.url}/api/slots/wallet`)).status).toBe(200);

    await slots.kill();
    const slotAnswers = [];
    const otherStatuses = [];
    for (let i = 0; i < 8; i++) {
      slotAnswers.push(await timed(fetch(`${facade.url}/api/slots/wallet`)));
      otherStatuses.push((await fetch(`${facade.url}/api/threads`)).status);
    }

    for (const { res, ms } of slotAnswers) {
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.headers.get('x-served-by')).toBe(FACADE_SERVED_BY);
      expect(ms).toBeLessThan(1000);
    }
    expect(otherStatuses).toEqual(new Array(8).fill(200));
    expect(facade.logs.some((line) => line.msg?.startsWith('circuit opened'))).toBe(true);
  });

  it('recovers by itself when the target comes back on the same port', async () => {
    await start(table(), { failureThreshold: 2, openMs: 100 });
    await slots.kill();
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${facade.url}/api/slots/wallet`)).status).toBe(503);
    }

    await slots.restart();
    let status = 0;
    for (let tries = 0; tries < 50 && status !== 200; tries++) {
      await sleep(20);
      status = (await fetch(`${facade.url}/api/slots/wallet`)).status;
    }

    expect(status).toBe(200);
    expect(facade.logs.some((line) => line.msg?.startsWith('circuit closed'))).toBe(true);
  });

  it('stops trying a target that keeps timing out, and tries again after openMs', async () => {
    await start(table({ timeoutMs: 50 }), { failureThreshold: 2, openMs: 300 });
    for (let i = 0; i < 2; i++) {
      expect((await fetch(`${facade.url}/api/slots/wallet?delay=1000`)).status).toBe(504);
    }
    const reached = slots.requests.length;

    const refused = await timed(fetch(`${facade.url}/api/slots/wallet?delay=1000`));
    expect(refused.res.status).toBe(503);
    // Well under the target's 1 000 ms delay, and the target saw no new request.
    expect(refused.ms).toBeLessThan(500);
    expect(slots.requests.length).toBe(reached);

    await sleep(300);
    const trial = await fetch(`${facade.url}/api/slots/wallet`);
    expect(trial.status).toBe(200);
    expect(((await trial.json()) as Echo).served).toBe('slots');
  });

  it('answers 408 to a client too slow to send its body, without opening the circuit', async () => {
    await start(table({ timeoutMs: 100 }), { failureThreshold: 1, openMs: 60_000 });

    // Announces 1 000 bytes and sends 10: the client, not the target, misses the deadline.
    const slowUpload = await partialUpload(`${facade.url}/api/slots/spins`, 1000, 10);
    const after = await fetch(`${facade.url}/api/slots/wallet`);

    expect(slowUpload.status).toBe(408);
    expect(slowUpload.contentType).toMatch(PROBLEM_JSON);
    expect(after.status).toBe(200);
  });

  it("does not count a target's own 5xx answers as failures", async () => {
    monolith = await startUpstream('monolith');
    slots = await startUpstream('slots', (_req, res) => {
      res.writeHead(500, { 'Content-Type': 'application/problem+json' }).end('{"status":500}');
    });
    facade = await startFacade({
      table: table(),
      targets: { monolith: monolith.url, slots: slots.url },
      breaker: { failureThreshold: 2 },
    });

    const statuses = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await fetch(`${facade.url}/api/slots/wallet`)).status);
    }

    expect(statuses).toEqual([500, 500, 500, 500, 500]);
    expect(slots.requests).toHaveLength(5);
  });

  it('stays ready while a target is down', async () => {
    await start(table());
    await Promise.all([slots.kill(), monolith.kill()]);

    const ready = await fetch(`${facade.url}/readyz`);

    expect(ready.status).toBe(200);
  });
});
