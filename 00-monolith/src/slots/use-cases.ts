import {
  type AuthUser,
  HttpError,
  parseBody,
  parseQuery,
  problems,
} from '@course/service-kit/core';
import {
  cryptoRandom,
  spin as draw,
  type MachineDescription,
  type RandomSource,
} from '@course/slot-machine';
import {
  idempotencyKeySchema,
  type LeaderboardEntry,
  machine,
  type SpinRecord,
  spinListQuerySchema,
  spinRequestSchema,
} from './domain.ts';
import type { SlotsStore } from './store.ts';

export type { LeaderboardEntry, SpinRecord } from './domain.ts';
export type { SlotsStore, SpinOutcome, SpinToSettle } from './store.ts';

/** How many players the leaderboard ranks; stage 02's badges go to these places only. */
export const LEADERBOARD_SIZE = 10;

/**
 * What a player can do at the slot machine, with no HTTP framework in sight: requests come in
 * as plain values, results go out as plain values, and every refusal is a thrown HttpError
 * (problemFor turns it into problem+json). The Express routes are a thin adapter over these.
 */
export interface SlotsUseCases {
  machine(): MachineDescription;
  /** Opens the player's wallet on first touch. */
  wallet(player: AuthUser): Promise<{ balance: number }>;
  /**
   * One paid spin. With an Idempotency-Key, a retry of the same request gets the first answer
   * again (`replayed: true`) instead of a second spin.
   */
  spin(
    player: AuthUser,
    request: { body: unknown; idempotencyKey: string | undefined },
  ): Promise<{ spin: SpinRecord; replayed: boolean }>;
  /** The player's own spins, newest first; `query` is the query string as an object. */
  history(player: AuthUser, query: Record<string, unknown>): Promise<{ items: SpinRecord[] }>;
  leaderboard(): Promise<{ items: LeaderboardEntry[] }>;
}

export interface SlotsUseCaseDeps {
  store: SlotsStore;
  /** Injectable so tests can script the reels; production uses crypto.randomInt. */
  rng?: RandomSource;
}

export function slotsUseCases({ store, rng = cryptoRandom }: SlotsUseCaseDeps): SlotsUseCases {
  async function walletOf(player: AuthUser): Promise<string> {
    if (!(await store.ensureWallet(player, machine.startingBalance))) {
      throw problems.unauthorized('The account behind this token no longer exists.');
    }
    return player.id;
  }

  return {
    machine: () => machine,

    async wallet(player) {
      const userId = await walletOf(player);
      return { balance: await store.readBalance(userId) };
    },

    async spin(player, request) {
      const idempotencyKey = parseIdempotencyKey(request.idempotencyKey);
      const { bet } = parseBody(spinRequestSchema, request.body);
      const userId = await walletOf(player);

      if (idempotencyKey) {
        const first = await store.findSpinByKey(userId, idempotencyKey);
        if (first) return replay(first, bet);
      }

      const { reels, payout } = draw(bet, rng);
      const outcome = await store.settleSpin({ userId, bet, payout, reels, idempotencyKey });
      switch (outcome.kind) {
        case 'insufficient-credits':
          throw insufficientCredits(outcome.balance, bet);
        case 'replayed':
          // Another request with the same key settled first, between our lookup and our insert.
          return replay(outcome.spin, bet);
        case 'settled':
          return { spin: outcome.spin, replayed: false };
      }
    },

    async history(player, query) {
      const { limit } = parseQuery(spinListQuerySchema, query);
      return { items: await store.listSpins(player.id, limit) };
    },

    async leaderboard() {
      return { items: await store.topWallets(LEADERBOARD_SIZE) };
    },
  };
}

/** The Idempotency-Key header, checked: absent is null, a malformed one is 400. */
export function parseIdempotencyKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  const parsed = idempotencyKeySchema.safeParse(header);
  if (!parsed.success) {
    throw problems.badRequest('Idempotency-Key must be 1-128 of A-Z a-z 0-9 _ . : -');
  }
  return parsed.data;
}

/** A replay answers exactly what the first request answered, if it is the same request. */
function replay(first: SpinRecord, bet: number): { spin: SpinRecord; replayed: true } {
  if (first.bet !== bet) throw idempotencyKeyReused();
  return { spin: first, replayed: true };
}

function insufficientCredits(balance: number, bet: number): HttpError {
  return problems.conflict(
    '/problems/insufficient-credits',
    'Insufficient credits',
    `A bet of ${bet} needs more than the ${balance} credits in the wallet.`,
  );
}

/** The 422 of a key already used for a different request. */
export function idempotencyKeyReused(): HttpError {
  return new HttpError(422, {
    type: '/problems/idempotency-key-reused',
    title: 'Idempotency-Key reused',
    detail: 'This Idempotency-Key was already used for a different request.',
  });
}
