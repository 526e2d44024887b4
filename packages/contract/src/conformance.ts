import { describe, expect, it } from 'vitest';
import { describeConventions } from './conformance/conventions.ts';
import { describeForum } from './conformance/forum.ts';
import { describeShop } from './conformance/shop.ts';
import { describeSlots } from './conformance/slots.ts';
import { describeUsers } from './conformance/users.ts';
import { createHarness, type Harness } from './harness.ts';
import { operationsOfStage, servedByStage } from './spec.ts';

export interface ConformanceSuiteOptions {
  /** The stage's base URL, read lazily: a test usually starts its server in beforeAll. */
  baseUrl: () => string;
  /**
   * The stage under test, two digits (e.g. "04"). Operations marked `x-since-stage` later than
   * it (or any marked at all, when no stage is named) are neither tested nor required by the
   * coverage check: a stage is held to the contract as it stood when it was built.
   */
  stage?: string;
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
    const shop = h.client.contract.operations.get('createPurchase');
    if (shop && servedByStage(shop, options.stage)) describeShop(h);
    describeCoverage(h, options.stage);
  });
}

/** Runs last: proves that the tests above reached every operation the stage serves. */
function describeCoverage(h: Harness, stage: string | undefined): void {
  describe('coverage', () => {
    it(`exercised every operation in openapi.yaml ${stage ? `up to stage ${stage}` : 'that every stage serves'} with its success status`, () => {
      const missed = operationsOfStage(h.client.contract, stage)
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
