import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostileRequest, unknownRoute } from '../src/fuzz/arbitraries.ts';
import { foreignSignedToken, loadContract } from '../src/index.ts';

const contract = loadContract();
const fixtures = {
  document: contract.document,
  token: foreignSignedToken({ sub: 'fuzz', username: 'fuzz_user', aud: 'course-api' }),
  threadId: '5f0c3b8e-8f43-4c0e-9a57-1d2b3c4d5e6f',
};
const BASE = 'http://127.0.0.1:1';

describe('hostile request generators', () => {
  it.each([...contract.operations.values()].map((operation) => [operation.id, operation] as const))(
    'only build requests that fetch can send, on the path of %s',
    (_id, operation) => {
      const samples = fc.sample(hostileRequest(operation, fixtures), { numRuns: 150, seed: 42 });

      for (const { options } of samples) {
        const id = options.rawParams?.id;
        const path = operation.path.replace('{id}', id ?? '');
        const url = new URL(`${path}${options.query ? `?${options.query}` : ''}`, BASE);
        // Throws on header values fetch refuses (control characters, non Latin-1).
        new Request(url, {
          method: operation.method.toUpperCase(),
          headers: options.headers,
          body: options.body,
        });
        // Dot segments would silently turn the request into another route.
        expect(url.pathname.split('/').length, url.pathname).toBe(operation.path.split('/').length);
      }
    },
  );

  it('aims unknown-route requests at no documented operation', () => {
    const documented = [...contract.operations.values()].map((operation) => ({
      method: operation.method.toUpperCase(),
      pattern: new RegExp(`^${operation.path.replace('{id}', '[^/]+')}$`),
    }));

    const samples = fc.sample(unknownRoute(contract.document), { numRuns: 200, seed: 7 });

    for (const { method, path } of samples) {
      const pathname = new URL(path, BASE).pathname;
      const hit = documented.find((d) => d.method === method && d.pattern.test(pathname));
      expect(hit, `${method} ${pathname}`).toBeUndefined();
    }
  });

  it('mixes valid and forged Authorization headers on operations that need a token', () => {
    const createThread = contract.operations.get('createThread');
    if (!createThread) throw new Error('createThread is documented');

    const samples = fc.sample(hostileRequest(createThread, fixtures), { numRuns: 200, seed: 1 });

    expect(
      samples.some(
        (s) => !s.forgedAuth && s.options.headers?.authorization === `Bearer ${fixtures.token}`,
      ),
    ).toBe(true);
    expect(samples.some((s) => s.forgedAuth)).toBe(true);
    expect(samples.some((s) => s.options.body?.includes('__proto__'))).toBe(true);
  });
});
