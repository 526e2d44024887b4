import {
  currentUser,
  exactRouter,
  HttpError,
  parseBody,
  parseQuery,
  problems,
  requireAuth,
  type TokenVerifier,
} from '@course/service-kit';
import { cryptoRandom, type RandomSource, spin } from '@course/slot-machine';
import type { Request, Response, Router } from 'express';
import {
  idempotencyKeySchema,
  machine,
  type SpinRecord,
  spinListQuerySchema,
  spinRequestSchema,
} from './domain.ts';
import type { SlotsStore } from './store.ts';

export interface SlotsDeps {
  store: SlotsStore;
  verifier: TokenVerifier;
  /** Injectable so tests can script the reels; production uses crypto.randomInt. */
  rng?: RandomSource;
}

/** How many players the leaderboard ranks; stage 02's badges go to these places only. */
export const LEADERBOARD_SIZE = 10;

function insufficientCredits(balance: number, bet: number): HttpError {
  return problems.conflict(
    '/problems/insufficient-credits',
    'Insufficient credits',
    `A bet of ${bet} needs more than the ${balance} credits in the wallet.`,
  );
}

function idempotencyKeyReused(): HttpError {
  return new HttpError(422, {
    type: '/problems/idempotency-key-reused',
    title: 'Idempotency-Key reused',
    detail: 'This Idempotency-Key was already used for a different request.',
  });
}

function idempotencyKeyFrom(req: Request): string | null {
  const header = req.get('Idempotency-Key');
  if (header === undefined) return null;
  const parsed = idempotencyKeySchema.safeParse(header);
  if (!parsed.success)
    throw problems.badRequest('Idempotency-Key must be 1-128 of A-Z a-z 0-9 _ . : -');
  return parsed.data;
}

/** A replay answers exactly what the first request answered, and says so. */
function sendReplay(res: Response, first: SpinRecord, bet: number) {
  if (first.bet !== bet) throw idempotencyKeyReused();
  res.status(201).set('Idempotent-Replayed', 'true').json(first);
}

export function slotsRoutes({ store, verifier, rng = cryptoRandom }: SlotsDeps): Router {
  const auth = requireAuth(verifier);

  async function walletOf(res: Response): Promise<string> {
    const player = currentUser(res);
    if (!(await store.ensureWallet(player, machine.startingBalance))) {
      throw problems.unauthorized('The account behind this token no longer exists.');
    }
    return player.id;
  }

  function showMachine(_req: Request, res: Response) {
    res.json(machine);
  }

  async function showWallet(_req: Request, res: Response) {
    const userId = await walletOf(res);
    res.json({ balance: await store.readBalance(userId) });
  }

  async function play(req: Request, res: Response) {
    const idempotencyKey = idempotencyKeyFrom(req);
    const { bet } = parseBody(spinRequestSchema, req.body);
    const userId = await walletOf(res);

    if (idempotencyKey) {
      const first = await store.findSpinByKey(userId, idempotencyKey);
      if (first) return sendReplay(res, first, bet);
    }

    const { reels, payout } = spin(bet, rng);
    const outcome = await store.settleSpin({ userId, bet, payout, reels, idempotencyKey });
    switch (outcome.kind) {
      case 'insufficient-credits':
        throw insufficientCredits(outcome.balance, bet);
      case 'replayed':
        return sendReplay(res, outcome.spin, bet);
      case 'settled':
        res.status(201).json(outcome.spin);
    }
  }

  async function history(req: Request, res: Response) {
    const { limit } = parseQuery(spinListQuerySchema, req.query);
    res.json({ items: await store.listSpins(currentUser(res).id, limit) });
  }

  async function leaderboard(_req: Request, res: Response) {
    res.json({ items: await store.topWallets(LEADERBOARD_SIZE) });
  }

  return exactRouter()
    .get('/api/slots/machine', showMachine)
    .get('/api/slots/wallet', auth, showWallet)
    .post('/api/slots/spins', auth, play)
    .get('/api/slots/spins', auth, history)
    .get('/api/slots/leaderboard', leaderboard);
}
