import { describe, expect, it } from 'vitest';
import type { Harness } from '../harness.ts';
import { verifiedByKeySet } from '../jwt.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Health, keys and the conventions every response follows. */
export function describeConventions(h: Harness): void {
  describe('health, keys and conventions', () => {
    it('GET /healthz answers 200 {status: "ok"}', async () => {
      const health = h.expectStatus(await h.send('getHealth'), 200);

      expect(health.status).toBe('ok');
    });

    it('GET /readyz answers 200 {status: "ready"} while the database is up', async () => {
      const readiness = h.expectStatus(await h.send('getReadiness'), 200);

      expect(readiness.status).toBe('ready');
    });

    it('GET /.well-known/jwks.json publishes public Ed25519 keys only', async () => {
      const keySet = h.expectStatus(await h.send('getJwks'), 200);

      // The schema forbids private members such as `d`; here we make sure the keys are usable.
      expect(keySet.keys.length).toBeGreaterThan(0);
      expect(keySet.keys.every((key) => key.kty === 'OKP' && key.crv === 'Ed25519')).toBe(true);
    });

    it('echoes a valid incoming X-Request-Id', async () => {
      const requestId = 'conformance.Check:echo-1';

      const response = await h.send('getHealth', { requestId });

      expect(response.headers.get('x-request-id')).toBe(requestId);
    });

    it.each([
      ['missing', null],
      ['with forbidden characters', 'not a valid id/'],
      ['longer than 128 characters', 'a'.repeat(129)],
    ])('replaces a %s X-Request-Id with a fresh UUID', async (_case, requestId) => {
      const response = await h.send('getHealth', { requestId });

      expect(response.headers.get('x-request-id')).toMatch(UUID);
    });

    it('names the answering service in X-Served-By', async () => {
      const response = await h.send('getMachine');

      expect(response.headers.get('x-served-by')).toMatch(/^[a-z0-9-]+@\d\d \([a-z-]+\)$/);
    });

    it.each([
      ['GET', '/api/this-route-does-not-exist'],
      ['POST', '/api/this-route-does-not-exist'],
      ['GET', '/api/slots/no-such-thing'],
    ])('answers an unknown route (%s %s) with a 404 problem', async (method, path) => {
      const response = await h.sendUnknown(method, path);

      h.expectProblem(response, 404, 'about:blank');
    });

    it('issues tokens that the published keys verify', async () => {
      const player = await h.newPlayer();

      const keySet = h.expectStatus(await h.send('getJwks'), 200);

      expect(verifiedByKeySet(player.token, keySet)).toBe(true);
    });
  });
}
