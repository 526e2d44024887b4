import { currentUser, exactRouter, requireAuth, type TokenVerifier } from '@course/service-kit';
import type { Router } from 'express';
import { type SlotsUseCaseDeps, slotsUseCases } from './use-cases.ts';

export interface SlotsDeps extends SlotsUseCaseDeps {
  verifier: TokenVerifier;
}

/**
 * The slots API over HTTP: each route takes what its use case needs from the request, calls it
 * and sends the result. What a spin means (validation, replay, the draw, the money) lives in
 * use-cases.ts, not here; thrown HttpErrors reach the chassis's problem+json middleware.
 */
export function slotsRoutes({ verifier, ...deps }: SlotsDeps): Router {
  const slots = slotsUseCases(deps);
  const auth = requireAuth(verifier);

  return exactRouter()
    .get('/api/slots/machine', (_req, res) => {
      res.json(slots.machine());
    })
    .get('/api/slots/wallet', auth, async (_req, res) => {
      res.json(await slots.wallet(currentUser(res)));
    })
    .post('/api/slots/spins', auth, async (req, res) => {
      const { spin, replayed } = await slots.spin(currentUser(res), {
        body: req.body,
        idempotencyKey: req.get('Idempotency-Key'),
      });
      // A replay answers exactly what the first request answered, and says so.
      if (replayed) res.set('Idempotent-Replayed', 'true');
      res.status(201).json(spin);
    })
    .get('/api/slots/spins', auth, async (req, res) => {
      res.json(await slots.history(currentUser(res), req.query));
    })
    .get('/api/slots/leaderboard', async (_req, res) => {
      res.json(await slots.leaderboard());
    });
}
