import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES } from '../src/http-api/index.ts';
import { TokenBucket } from '../src/http-api/throttle.ts';
import { fails, httpApi, returns, route, serve, stopAll, stubInvoker } from './http-api-support.ts';

afterEach(stopAll);

async function serveOne(extra: Parameters<typeof httpApi>[1] = {}, options = {}) {
  const invoker = stubInvoker();
  const { url } = await serve(
    httpApi([route('ANY /{proxy+}'), route('GET /other')], extra),
    invoker,
    options,
  );
  return { invoker, url };
}

async function expectGatewayAnswer(response: Response, status: number, message: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(response.headers.get('apigw-requestid')).toMatch(/^[A-Za-z0-9+/]{15}=$/);
  expect(await response.text()).toBe(JSON.stringify({ message }));
}

/** Writes raw bytes to the server and returns what comes back before it closes the connection. */
function rawExchange(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk.toString();
    });
    socket.on('error', () => resolve(received));
    socket.on('close', () => resolve(received));
  });
}

describe('HTTP API responses (payload format 2.0)', () => {
  it('uses statusCode, headers and body, and turns each cookie into its own Set-Cookie header', async () => {
    const { invoker, url } = await serveOne();
    invoker.script = () =>
      returns({
        statusCode: 201,
        headers: { 'x-answer': 'yes', 'content-type': 'text/plain' },
        cookies: ['session=abc; Path=/; HttpOnly', 'theme=dark'],
        multiValueHeaders: { 'x-multi': ['a', 'b'] },
        body: 'created',
      });

    const response = await fetch(`${url}/things`);

    expect(response.status).toBe(201);
    expect(response.headers.get('x-answer')).toBe('yes');
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(response.headers.getSetCookie()).toEqual([
      'session=abc; Path=/; HttpOnly',
      'theme=dark',
    ]);
    expect(response.headers.get('x-multi')).toBeNull(); // format 2.0 has no multiValueHeaders
    expect(await response.text()).toBe('created');
  });

  it('decodes a base64 body when isBase64Encoded is true', async () => {
    const { invoker, url } = await serveOne();
    const bytes = Buffer.from([137, 80, 78, 71, 0, 255]);
    invoker.script = () =>
      returns({
        statusCode: 200,
        headers: { 'content-type': 'image/png' },
        body: bytes.toString('base64'),
        isBase64Encoded: true,
      });

    const response = await fetch(`${url}/logo.png`);

    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
  });

  it('answers a result without statusCode as a 200 application/json body', async () => {
    const { invoker, url } = await serveOne();
    const results: unknown[] = [{ message: 'Hello' }, 'Hello from Lambda!', [1, 2], 42];
    const answers = [];

    for (const result of results) {
      invoker.script = () => returns(result);
      const response = await fetch(`${url}/x`);
      answers.push([response.status, response.headers.get('content-type'), await response.text()]);
    }

    expect(answers).toEqual([
      [200, 'application/json', '{"message":"Hello"}'],
      [200, 'application/json', 'Hello from Lambda!'],
      [200, 'application/json', '[1,2]'],
      [200, 'application/json', '42'],
    ]);
  });

  it('sends text/plain; charset=utf-8 for a response that names no content-type, and keeps one it names in any case', async () => {
    const { invoker, url } = await serveOne();
    const results = [
      { statusCode: 200, body: '<p>hi</p>' },
      { statusCode: 201, headers: { 'x-answer': 'yes' }, body: '{"id":1}' },
      { statusCode: 200, headers: { 'Content-Type': 'text/html' }, body: '<p>hi</p>' },
    ];
    const contentTypes = [];

    for (const result of results) {
      invoker.script = () => returns(result);
      const response = await fetch(`${url}/x`);
      contentTypes.push(response.headers.get('content-type'));
    }

    expect(contentTypes).toEqual([
      'text/plain; charset=utf-8',
      'text/plain; charset=utf-8',
      'text/html',
    ]);
  });

  it('answers 500 for a response API Gateway cannot use, and keeps serving', async () => {
    const { invoker, url } = await serveOne();
    const malformed = [
      { statusCode: 'two hundred' },
      { statusCode: 99 },
      { statusCode: 200, body: { not: 'a string' } },
      { statusCode: 200, headers: { 'x-bad': 'line\nbreak' } },
      { statusCode: 200, cookies: [7] },
    ];

    for (const result of malformed) {
      invoker.script = () => returns(result);
      await expectGatewayAnswer(await fetch(`${url}/x`), 500, 'Internal Server Error');
    }
    invoker.script = () => returns({ statusCode: 204 });
    expect((await fetch(`${url}/x`)).status).toBe(204);
  });
});

describe("API Gateway's own answers", () => {
  it.each(['handled', 'crash', 'timeout'] as const)(
    'answers a function error (%s) with 500 {"message":"Internal Server Error"}',
    async (kind) => {
      const { invoker, url } = await serveOne();
      invoker.script = () => fails(kind);

      await expectGatewayAnswer(await fetch(`${url}/x`), 500, 'Internal Server Error');
    },
  );

  it('answers a throttled function with 500 {"message":"Internal Server Error"}', async () => {
    const { invoker, url } = await serveOne();
    invoker.script = () => ({ outcome: 'throttled', logTail: '' });

    await expectGatewayAnswer(await fetch(`${url}/x`), 500, 'Internal Server Error');
  });

  it('answers 503 {"message":"Service Unavailable"} when the function outlasts the scaled integration timeout', async () => {
    // 30 s scaled by 0.001 is 30 ms; the function takes 2 s
    const { invoker, url } = await serveOne({}, { timeScale: 0.001 });
    invoker.script = () =>
      new Promise((resolve) => setTimeout(() => resolve(returns('late')), 2_000));

    await expectGatewayAnswer(await fetch(`${url}/x`), 503, 'Service Unavailable');
  });

  it('waits for a function that answers within the integration timeout', async () => {
    // 30 s scaled by 0.1 is 3 s; the function takes 100 ms
    const { invoker, url } = await serveOne({}, { timeScale: 0.1 });
    invoker.script = () =>
      new Promise((resolve) => setTimeout(() => resolve(returns('in time')), 100));

    const response = await fetch(`${url}/x`);

    expect(await response.text()).toBe('in time');
  });

  it('throttles each route with its own token bucket: 429 {"message":"Too Many Requests"} past the burst', async () => {
    const { invoker, url } = await serveOne({ throttling: { burstLimit: 2, rateLimit: 0.001 } });

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${url}/x`)).status);
    const throttled = await fetch(`${url}/x`);
    const otherRoute = await fetch(`${url}/other`);

    expect(statuses).toEqual([200, 200, 429]);
    await expectGatewayAnswer(throttled, 429, 'Too Many Requests');
    expect(otherRoute.status).toBe(200);
    expect(invoker.calls).toHaveLength(3);
  });

  it('refills a token bucket at the rate limit, up to the burst limit', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 10, () => now);

    const burst = [bucket.take(), bucket.take(), bucket.take()];
    now += 100; // one token at 10 per second
    const refilled = [bucket.take(), bucket.take()];
    now += 10_000;
    const capped = [bucket.take(), bucket.take(), bucket.take()];

    expect(burst).toEqual([true, true, false]);
    expect(refilled).toEqual([true, false]);
    expect(capped).toEqual([true, true, false]);
  });

  it('answers a declared body over 10 MB with 413 {"message":"Request Entity Too Large"} without invoking', async () => {
    const { invoker, url } = await serveOne();

    const response = await fetch(`${url}/upload`, {
      method: 'POST',
      body: new Uint8Array(MAX_PAYLOAD_BYTES + 1),
    });

    await expectGatewayAnswer(response, 413, 'Request Entity Too Large');
    expect(invoker.calls).toHaveLength(0);
  });

  it('answers a declared Content-Length over 10 MB at once, before any body arrives', async () => {
    const { url } = await serveOne();
    const { port } = new URL(url);
    const head = `POST /x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: ${MAX_PAYLOAD_BYTES + 1}\r\n\r\n`;

    const answer = await Promise.race([
      rawExchange(url, head),
      new Promise<string>((resolve) => setTimeout(() => resolve('no answer within 5 s'), 5_000)),
    ]);

    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toContain('{"message":"Request Entity Too Large"}');
  });

  it('answers a chunked body that grows past 10 MB with 413', async () => {
    const { invoker, url } = await serveOne();

    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${url}/upload`, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(1024 * 1024);
      const writeMore = (left: number) => {
        if (left === 0) return req.end();
        if (req.write(chunk)) writeMore(left - 1);
        else req.once('drain', () => writeMore(left - 1));
      };
      writeMore(11);
    }).catch(() => 'connection closed');

    expect(status).toBe(413);
    expect(invoker.calls).toHaveLength(0);
  });

  it('accepts a body of exactly 10 MB', async () => {
    const { invoker, url } = await serveOne();

    const response = await fetch(`${url}/upload`, {
      method: 'POST',
      body: new Uint8Array(MAX_PAYLOAD_BYTES),
    });

    expect(response.status).toBe(200);
    expect(Buffer.from(invoker.events[0]?.body ?? '', 'base64')).toHaveLength(MAX_PAYLOAD_BYTES);
  });
});

describe('malformed requests', () => {
  it('routes a path with a malformed percent-encoding instead of failing', async () => {
    const { invoker, url } = await serveOne();

    const response = await fetch(`${url}/a%zz/b%20c`);

    expect(response.status).toBe(200);
    expect(invoker.events[0]?.pathParameters).toEqual({ proxy: 'a%zz/b c' });
  });

  it('answers headers over the 10 KB quota with JSON and an apigw-requestid, and keeps serving', async () => {
    const { url } = await serveOne();
    const { port } = new URL(url);

    const answer = await rawExchange(
      url,
      `GET /x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Big: ${'a'.repeat(12_000)}\r\n\r\n`,
    );

    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer).toMatch(/apigw-requestid: [A-Za-z0-9+/]{15}=/);
    expect(answer).toContain('{"message":"Request Header Fields Too Large"}');
    expect((await fetch(`${url}/x`)).status).toBe(200);
  });

  it('answers a garbled request line with 400 {"message":"Bad Request"}', async () => {
    const { url } = await serveOne();

    const answer = await rawExchange(url, 'NOT A REQUEST\r\n\r\n');

    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toContain('{"message":"Bad Request"}');
    expect((await fetch(`${url}/x`)).status).toBe(200);
  });

  it('never invokes the function for a body the client abandons, and keeps serving', async () => {
    const { invoker, url } = await serveOne();
    const { hostname, port } = new URL(url);

    await new Promise<void>((resolve) => {
      const socket = connect(Number(port), hostname, () => {
        socket.write(
          `POST /x HTTP/1.1\r\nHost: ${hostname}\r\nContent-Length: 100\r\n\r\n0123456789`,
        );
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('close', () => resolve());
    });
    const after = await fetch(`${url}/x`);

    expect(after.status).toBe(200);
    expect(invoker.calls).toHaveLength(1);
  });
});
