/*
 * Measures (and reports, without asserting) what the local API Gateway adds to a warm request:
 * the same answer from a plain node:http server and from the HTTP API in front of a stub
 * Invoker that answers at once, 1,000 sequential requests each, in the same run.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { measureSequential } from '../src/http-api/index.ts';
import { httpApi, returns, route, serve, stopAll, stubInvoker } from './http-api-support.ts';

afterEach(stopAll);

const BODY = JSON.stringify({ ok: true });

it('reports the added p50 latency of a warm request against a plain node:http server', async () => {
  // Arrange
  const plain = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(BODY);
  });
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
  const plainUrl = `http://127.0.0.1:${(plain.address() as AddressInfo).port}/x`;
  const invoker = stubInvoker();
  invoker.script = () => returns({ ok: true });
  const { url } = await serve(httpApi([route('GET /x')]), invoker);

  try {
    // Act
    const direct = await measureSequential(plainUrl, 1_000);
    const gateway = await measureSequential(`${url}/x`, 1_000);

    // Assert: both answered the same thing, every time
    expect(await (await fetch(`${url}/x`)).text()).toBe(await (await fetch(plainUrl)).text());
    expect(invoker.calls).toHaveLength(1_100 + 1);
    const added = gateway.p50Ms - direct.p50Ms;
    process.stdout.write(
      `HTTP API warm latency, 1,000 sequential requests: plain p50 ${direct.p50Ms.toFixed(3)} ms, ` +
        `gateway p50 ${gateway.p50Ms.toFixed(3)} ms (p99 ${gateway.p99Ms.toFixed(3)} ms), ` +
        `added p50 ${added.toFixed(3)} ms\n`,
    );
  } finally {
    plain.closeAllConnections();
    await new Promise((resolve) => plain.close(resolve));
  }
});
