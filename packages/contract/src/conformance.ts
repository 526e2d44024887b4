import { describe, expect, it } from 'vitest';
import { describeConventions } from './conformance/conventions.ts';
import { describeForum } from './conformance/forum.ts';
import { describeSlots } from './conformance/slots.ts';
import { describeUsers } from './conformance/users.ts';
import { createHarness, type Harness } from './harness.ts';

export interface ConformanceSuiteOptions {
  /** The stage's base URL, read lazily: a test usually starts its server in beforeAll. */
  baseUrl: () => string;
}

/**
 * Declares the conformance suite (vitest `describe`/`it` blocks) against a live stage.
 * Call it at the top level of a test file:
 *
 *   let server: RunningServer;
 *   beforeAll(async () => { server = await startMyStage(); });
 *   defineConformanceSuite({ baseUrl: () => server.url });
 *
 * Every response is checked against openapi.yaml (status documented, Content-Type, body
 * schema, X-Request-Id, X-Served-By and other documented headers). The suite registers its
 * own users with random names, so it can run against a stage that already has data.
 */
export function defineConformanceSuite(options: ConformanceSuiteOptions): void {
  const h = createHarness(options.baseUrl);
  describe('public API conformance (openapi.yaml)', { timeout: 60_000 }, () => {
    describeConventions(h);
    describeUsers(h);
    describeForum(h);
    describeSlots(h);
    describeCoverage(h);
  });
}

/** Runs last: proves that the tests above reached every operation of the document. */
function describeCoverage(h: Harness): void {
  describe('coverage', () => {
    it('exercised every operation in openapi.yaml with its success status', () => {
      const missed = [...h.client.contract.operations.values()]
        .filter((operation) => {
          const seen = h.client.exercised.get(operation.id) ?? new Set<number>();
          const success = [...operation.responses.keys()].find((status) => status < 300);
          return success === undefined || !seen.has(success);
        })
        .map(
          (operation) => `${operation.id} (${operation.method.toUpperCase()} ${operation.path})`,
        );

      expect(missed).toEqual([]);
    });
  });
}
