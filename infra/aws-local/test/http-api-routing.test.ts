import { afterEach, describe, expect, it } from 'vitest';
import { LocalAwsError } from '../src/model.ts';
import { httpApi, route, serve, stopAll, stubInvoker } from './http-api-support.ts';

afterEach(stopAll);

async function routeKeyFor(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  expect(response.status).toBe(200);
  return response.headers.get('x-route');
}

describe('HTTP API route selection', () => {
  it('prefers a static match, then path variables, then a greedy variable, then $default', async () => {
    // Arrange: the example routes of "Create routes for HTTP APIs" (Routing API requests)
    const invoker = stubInvoker();
    invoker.script = (event) => ({
      outcome: 'success',
      payload: JSON.stringify({ statusCode: 200, headers: { 'x-route': event.routeKey } }),
      logTail: '',
    });
    const keys = [
      'GET /pets/dog/1',
      'GET /pets/dog/{id}',
      'GET /pets/{proxy+}',
      'ANY /{proxy+}',
      '$default',
    ];
    const { url } = await serve(httpApi(keys.map((k) => route(k))), invoker);

    // Act / Assert
    expect(await routeKeyFor(`${url}/pets/dog/1`)).toBe('GET /pets/dog/1');
    expect(await routeKeyFor(`${url}/pets/dog/2`)).toBe('GET /pets/dog/{id}');
    expect(await routeKeyFor(`${url}/pets/cat/1`)).toBe('GET /pets/{proxy+}');
    expect(await routeKeyFor(`${url}/test/5`, { method: 'POST' })).toBe('ANY /{proxy+}');
    expect(await routeKeyFor(`${url}/`)).toBe('$default');
    expect(invoker.events[1]?.pathParameters).toEqual({ id: '2' });
    expect(invoker.events[2]?.pathParameters).toEqual({ proxy: 'cat/1' });
  });

  it('prefers a longer static prefix before a greedy variable', async () => {
    const invoker = stubInvoker();
    const { url } = await serve(
      httpApi([route('ANY /api/{proxy+}'), route('ANY /api/v1/{proxy+}')]),
      invoker,
    );

    await fetch(`${url}/api/v1/users/7`);
    await fetch(`${url}/api/v2/users/7`);

    expect(invoker.events.map((e) => e.routeKey)).toEqual([
      'ANY /api/v1/{proxy+}',
      'ANY /api/{proxy+}',
    ]);
    expect(invoker.events[0]?.pathParameters).toEqual({ proxy: 'users/7' });
  });

  it('lets a route naming the method win over ANY on the same path', async () => {
    const invoker = stubInvoker();
    const { url } = await serve(httpApi([route('ANY /items'), route('POST /items')]), invoker);

    await fetch(`${url}/items`, { method: 'POST', body: '{}' });
    await fetch(`${url}/items`, { method: 'DELETE' });

    expect(invoker.events.map((e) => e.routeKey)).toEqual(['POST /items', 'ANY /items']);
  });

  it('answers an unmatched path or method with 404 {"message":"Not Found"} without invoking', async () => {
    const invoker = stubInvoker();
    const { url } = await serve(
      httpApi([route('GET /pets'), route('GET /pets/{proxy+}')]),
      invoker,
    );

    const responses = await Promise.all([
      fetch(`${url}/pets`, { method: 'POST' }),
      fetch(`${url}/dogs`),
      fetch(`${url}/pets/`),
      fetch(`${url}/pets/a/`, { method: 'PUT' }),
    ]);

    for (const response of responses) {
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('apigw-requestid')).toMatch(/^[A-Za-z0-9+/]{15}=$/);
      expect(await response.json()).toEqual({ message: 'Not Found' });
    }
    expect(invoker.calls).toHaveLength(0);
  });

  it('serves a named stage under its prefix and keeps the prefix in rawPath', async () => {
    const invoker = stubInvoker();
    const { url } = await serve(httpApi([route('GET /pets/{id}')], { stageName: 'prod' }), invoker);

    const served = await fetch(`${url}/prod/pets/7`);
    const outside = await fetch(`${url}/pets/7`);

    expect(served.status).toBe(200);
    expect(outside.status).toBe(404);
    const [event] = invoker.events;
    expect(event?.routeKey).toBe('GET /pets/{id}');
    expect(event?.rawPath).toBe('/prod/pets/7');
    expect(event?.requestContext.http.path).toBe('/prod/pets/7');
    expect(event?.requestContext.stage).toBe('prod');
    expect(event?.pathParameters).toEqual({ id: '7' });
  });

  it('keeps no stage prefix for the $default stage', async () => {
    const invoker = stubInvoker();
    const { url } = await serve(httpApi([route('GET /pets/{id}')]), invoker);

    await fetch(`${url}/pets/7`);

    expect(invoker.events[0]?.rawPath).toBe('/pets/7');
    expect(invoker.events[0]?.requestContext.stage).toBe('$default');
  });

  it('fails the start on a route key API Gateway refuses, naming the route', async () => {
    const bad = route('GET /{proxy+}/more', { logicalId: 'GreedyInTheMiddle' });

    const start = serve(httpApi([bad]), stubInvoker());

    await expect(start).rejects.toThrow(LocalAwsError);
    await expect(start).rejects.toMatchObject({
      logicalId: 'GreedyInTheMiddle',
      property: 'RouteKey',
    });
  });

  it('fails the start when a route integrates a function that is not served', async () => {
    const orphan = route('GET /x', { logicalId: 'Orphan', functionName: 'missing' });

    await expect(serve(httpApi([orphan]), stubInvoker())).rejects.toMatchObject({
      name: 'LocalAwsError',
      logicalId: 'Orphan',
    });
  });
});
