import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  hostileRequest,
  storableForumText,
  unknownRoute,
  unstorableBody,
} from '../src/fuzz/arbitraries.ts';
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

  it.each(
    [...contract.operations.values()]
      .filter((operation) => operation.requestSchema !== undefined)
      .map((operation) => [operation.id, operation] as const),
  )('puts a NUL or a lone surrogate where the expected path of %s says', (_id, operation) => {
    const samples = fc.sample(unstorableBody(operation, contract.document), {
      numRuns: 200,
      seed: 3,
    });

    for (const { body, path } of samples) {
      const value = JSON.parse(body) as Record<string, unknown>;
      const text = path === '' ? Object.keys(value).join('') : String(value[path]);
      expect(unstorable(text), body).toBe(true);
    }
    const paths = new Set(samples.map((sample) => sample.path));
    expect(paths).toContain('note');
    expect(paths).toContain('');
  });

  it('sends NULs, lone surrogates and astral characters in the text fields of hostile bodies', () => {
    const createThread = contract.operations.get('createThread');
    if (!createThread) throw new Error('createThread is documented');

    const bodies = fc
      .sample(hostileRequest(createThread, fixtures), { numRuns: 2000, seed: 5 })
      .map((s) => s.options.body ?? '');

    expect(bodies.some((body) => body.includes('\\u0000'))).toBe(true);
    expect(bodies.some((body) => /\\ud[89ab][0-9a-f]{2}/.test(body))).toBe(true);
    expect(bodies.some((body) => /\\ud[c-f][0-9a-f]{2}/.test(body))).toBe(true);
    expect(bodies.some((body) => /[\u{10000}-\u{10ffff}]/u.test(body))).toBe(true);
    const targets = fc
      .sample(unstorableBody(createThread, contract.document), { numRuns: 200, seed: 4 })
      .map((sample) => sample.path);
    expect(targets).toContain('title');
    expect(targets).toContain('body');
  });

  it('builds forum text that is storable, astral characters included, and within the limits', () => {
    const samples = fc.sample(storableForumText(), { numRuns: 500, seed: 9 });

    for (const { title, body, reply } of samples) {
      for (const text of [title, body, reply]) expect(unstorable(text), text).toBe(false);
      expect([...title].length).toBeLessThanOrEqual(120);
      expect(Math.max([...body].length, [...reply].length)).toBeLessThanOrEqual(5000);
    }
    const astral = samples.filter(({ title }) => /[\u{10000}-\u{10ffff}]/u.test(title));
    expect(astral.length).toBeGreaterThan(50);
  });
});

function unstorable(text: string): boolean {
  return text.includes('\u0000') || !text.isWellFormed();
}
