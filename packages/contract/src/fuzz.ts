import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ContractResponse } from './client.ts';
import {
  type FuzzFixtures,
  type HostileRequest,
  hostileRequest,
  storableForumText,
  unknownRoute,
  unstorableBody,
} from './fuzz/arbitraries.ts';
import {
  createHarness,
  describeExchange,
  type Harness,
  type Problem,
  SETUP_TIMEOUT_MS,
} from './harness.ts';
import { operationsOfStage } from './spec.ts';

export interface FuzzSuiteOptions {
  /** The stage's base URL, read lazily (the test starts its server in beforeAll). */
  baseUrl: () => string;
  /** Generated requests per operation; 40 by default. */
  runs?: number;
  /** The stage under test: only the operations it serves are fuzzed (see ConformanceSuiteOptions). */
  stage?: string;
}

/**
 * Declares property-based tests that throw random and hostile requests at every operation of
 * openapi.yaml — random JSON, wrong types, huge strings, deep nesting, prototype-pollution keys,
 * odd content types, garbage and forged tokens, weird Idempotency-Key and X-Request-Id values,
 * malformed query strings and path ids, text with a NUL or a lone UTF-16 surrogate — and require
 * that the server never answers 5xx, keeps answering, and that every answer (errors included) is
 * one openapi.yaml documents. Text a database cannot store must get a 422 naming the field, and
 * any other text (emoji and other astral characters included) must come back unchanged.
 */
export function defineFuzzSuite(options: FuzzSuiteOptions): void {
  const runs = options.runs ?? 40;
  const h = createHarness(options.baseUrl);
  const { document } = h.client.contract;
  const operations = operationsOfStage(h.client.contract, options.stage);

  describe(`public API fuzzing (${runs} requests per operation)`, { timeout: 120_000 }, () => {
    let fixtures: FuzzFixtures;
    beforeAll(async () => {
      const player = await h.newPlayer();
      const thread = h.expectStatus(
        await h.send('createThread', {
          token: player.token,
          json: { title: 'Fuzz target', body: 'Hit me.' },
        }),
        201,
      );
      fixtures = { document, token: player.token, threadId: thread.id };
    }, SETUP_TIMEOUT_MS);

    for (const operation of operations) {
      it(`${operation.id} (${operation.method.toUpperCase()} ${operation.path}) answers hostile requests with documented 4xx problems, never 5xx`, async () => {
        await fc.assert(
          fc.asyncProperty(hostileRequest(operation, fixtures), async (request) => {
            const response = await h.client.call(operation.id, request.options);
            expectSane(h, response, request, operation.requiresAuth);
          }),
          { numRuns: runs },
        );

        await expectStillAnswering(h);
      });
    }

    for (const operation of operations) {
      if (operation.requestSchema === undefined) continue;
      it(`${operation.id} refuses a NUL or a lone surrogate anywhere in its body: 422 naming the field`, async () => {
        await fc.assert(
          fc.asyncProperty(unstorableBody(operation, document), async ({ body, path }) => {
            const response = await h.client.call(operation.id, {
              token: fixtures.token,
              body,
              params: { id: fixtures.threadId },
            });

            const exchange = describeExchange(response);
            expect(response.status, exchange).toBe(422);
            expect(h.validator.validate(response), exchange).toEqual([]);
            const problem = response.body as Problem;
            expect(problem.type, exchange).toBe('/problems/validation');
            expect(
              problem.errors?.some((error) => error.path === path),
              `no error names "${path}": ${exchange}`,
            ).toBe(true);
          }),
          { numRuns: runs },
        );
      });
    }

    it('stores any well-formed text, emoji and other astral characters included, unchanged', async () => {
      await fc.assert(
        fc.asyncProperty(storableForumText(), async ({ title, body, reply }) => {
          const created = h.expectStatus(
            await h.send('createThread', { token: fixtures.token, json: { title, body } }),
            201,
          );
          h.expectStatus(
            await h.send('createPost', {
              token: fixtures.token,
              params: { id: created.id },
              json: { body: reply },
            }),
            201,
          );

          const thread = h.expectStatus(
            await h.send('getThread', { params: { id: created.id } }),
            200,
          );

          expect(thread.title).toBe(title);
          expect(thread.posts.map((post) => post.body)).toEqual([body, reply]);
        }),
        { numRuns: runs },
      );
    });

    it('answers unknown routes and unsupported methods with a 404 problem', async () => {
      await fc.assert(
        fc.asyncProperty(unknownRoute(document), async ({ method, path }) => {
          const body = method === 'GET' ? undefined : '{}';
          const response = await h.client.request(method, path, { body });
          expectSane(h, response, { options: {}, forgedAuth: false }, false);
        }),
        { numRuns: runs },
      );
    });

    it('still answers /healthz and /readyz after all of it', async () => {
      await expectStillAnswering(h);
    });
  });
}

function expectSane(
  h: Harness,
  response: ContractResponse,
  request: HostileRequest,
  requiresAuth: boolean,
): void {
  const exchange = describeExchange(response);
  expect(response.status, `server error: ${exchange}`).toBeLessThan(500);
  expect(h.validator.validate(response), exchange).toEqual([]);
  if (requiresAuth && request.forgedAuth) {
    expect(
      response.status >= 200 && response.status < 300,
      `a forged token was accepted: ${exchange}`,
    ).toBe(false);
  }
}

async function expectStillAnswering(h: Harness): Promise<void> {
  h.expectStatus(await h.send('getHealth'), 200);
  h.expectStatus(await h.send('getReadiness'), 200);
}
