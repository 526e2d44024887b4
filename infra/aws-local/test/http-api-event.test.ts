import { request } from 'node:http';
import { APIGatewayProxyEventV2Schema } from '@aws-lambda-powertools/parser/schemas/api-gatewayv2';
import { afterEach, describe, expect, it } from 'vitest';
import { httpApi, route, serve, stopAll, stubInvoker } from './http-api-support.ts';

afterEach(stopAll);

async function servePets() {
  const invoker = stubInvoker();
  const api = httpApi([route('GET /pets/{id}'), route('ANY /files/{proxy+}'), route('$default')]);
  const { url } = await serve(api, invoker);
  return { invoker, url };
}

/** Sends repeated header lines, which fetch would merge before they leave the client. */
function sendRaw(url: string, path: string, headers: Record<string, string | string[]>) {
  return new Promise<number>((resolve, reject) => {
    const req = request(`${url}${path}`, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP API payload format 2.0 event', () => {
  it('builds events the Powertools parser schema accepts unchanged, for every kind of request', async () => {
    // Arrange
    const { invoker, url } = await servePets();

    // Act: a query, repeated headers and cookies, JSON, binary, a greedy path, the $default route
    await fetch(`${url}/pets/7?a=1&a=2`, { headers: { cookie: 'x=1; y=2' } });
    await sendRaw(url, '/pets/8', { 'x-multi': ['a', 'b'], cookie: ['c=3'] });
    await fetch(`${url}/files/a/b.txt`, {
      method: 'POST',
      body: '{"n":1}',
      headers: { 'content-type': 'application/json' },
    });
    await fetch(`${url}/files/img.png`, { method: 'PUT', body: new Uint8Array([0, 255, 1]) });
    await fetch(`${url}/nowhere/else`, { method: 'DELETE' });

    // Assert: parsing strips nothing (no unknown field) and rejects nothing (no wrong type)
    expect(invoker.events).toHaveLength(5);
    for (const event of invoker.events) {
      expect(APIGatewayProxyEventV2Schema.parse(event)).toEqual(event);
    }
  });

  it('lower-cases header names, joins repeats with commas and moves cookies out of the headers', async () => {
    const { invoker, url } = await servePets();

    await sendRaw(url, '/pets/1', {
      'X-Multi': ['a', 'b'],
      Cookie: ['session=abc; theme=dark', 'lang=en'],
    });

    const [event] = invoker.events;
    expect(event?.headers['x-multi']).toBe('a,b');
    expect(event?.headers).not.toHaveProperty('X-Multi');
    expect(event?.headers).not.toHaveProperty('cookie');
    expect(event?.cookies).toEqual(['session=abc', 'theme=dark', 'lang=en']);
    expect(event?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(event?.headers['x-forwarded-proto']).toBe('http');
  });

  it('decodes the query into queryStringParameters, joining repeated keys, and keeps rawQueryString as sent', async () => {
    const { invoker, url } = await servePets();

    await fetch(`${url}/pets/1?a=1&a=2&b=x%20y&c`);
    await fetch(`${url}/pets/2`);

    const [withQuery, without] = invoker.events;
    expect(withQuery?.rawQueryString).toBe('a=1&a=2&b=x%20y&c');
    expect(withQuery?.queryStringParameters).toEqual({ a: '1,2', b: 'x y', c: '' });
    expect(without?.rawQueryString).toBe('');
    expect(without).not.toHaveProperty('queryStringParameters');
  });

  it('gives path parameters decoded, the greedy one without a leading slash, and omits them when there are none', async () => {
    const { invoker, url } = await servePets();

    await fetch(`${url}/pets/a%20b`);
    await fetch(`${url}/files/dir/sub/file.txt`);
    await fetch(`${url}/other`);

    const [pet, file, other] = invoker.events;
    expect(pet?.pathParameters).toEqual({ id: 'a b' });
    expect(pet?.rawPath).toBe('/pets/a b');
    expect(file?.pathParameters).toEqual({ proxy: 'dir/sub/file.txt' });
    expect(other?.routeKey).toBe('$default');
    expect(other).not.toHaveProperty('pathParameters');
    expect(other).not.toHaveProperty('stageVariables');
  });

  it('passes text bodies as they are and base64-encodes every other content type', async () => {
    const { invoker, url } = await servePets();
    const bytes = new Uint8Array([0, 255, 1, 2]);

    await fetch(`${url}/x`, {
      method: 'POST',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    await fetch(`${url}/x`, {
      method: 'POST',
      body: 'héllo',
      headers: { 'content-type': 'text/plain' },
    });
    await fetch(`${url}/x`, {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    await fetch(`${url}/x`, {
      method: 'POST',
      body: 'a=1&b=2',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    await fetch(`${url}/x`);

    const [json, text, binary, form, none] = invoker.events;
    expect(json).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
    expect(text).toMatchObject({ body: 'héllo', isBase64Encoded: false });
    expect(binary).toMatchObject({
      body: Buffer.from(bytes).toString('base64'),
      isBase64Encoded: true,
    });
    expect(form).toMatchObject({
      body: Buffer.from('a=1&b=2').toString('base64'),
      isBase64Encoded: true,
    });
    expect(none?.isBase64Encoded).toBe(false);
    expect(none).not.toHaveProperty('body');
  });

  it('fills requestContext as API Gateway does and returns the request id as apigw-requestid', async () => {
    const { invoker, url } = await servePets();
    const before = Date.now();

    const response = await fetch(`${url}/pets/1`, { headers: { 'user-agent': 'lab-client/1.0' } });

    const context = invoker.events[0]?.requestContext;
    const host = new URL(url).host;
    expect(context).toMatchObject({
      accountId: '123456789012',
      apiId: 'api',
      domainName: host,
      domainPrefix: '127',
      http: {
        method: 'GET',
        path: '/pets/1',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'lab-client/1.0',
      },
      routeKey: 'GET /pets/{id}',
      stage: '$default',
    });
    expect(context?.requestId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(response.headers.get('apigw-requestid')).toBe(context?.requestId);
    expect(context?.timeEpoch).toBeGreaterThanOrEqual(before);
    expect(context?.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    const epochToClf = new Date(Math.floor((context?.timeEpoch ?? 0) / 1000) * 1000);
    expect(Date.parse(context?.time.replace(/^(\d+)\/(\w+)\/(\d+):/, '$2 $1 $3 ') ?? '')).toBe(
      epochToClf.getTime(),
    );
  });

  it("invokes the route's function synchronously, never queued", async () => {
    const { invoker, url } = await servePets();

    await fetch(`${url}/pets/1`);

    expect(invoker.calls).toEqual([{ functionName: 'fn', options: { queue: false } }]);
  });
});
