export const MIN_BET = 1;
export const MAX_BET = 100;
/** Credits in a new wallet. */
export const STARTING_BALANCE = 1000;

export type BetProblem = 'not-an-integer' | 'below-minimum' | 'above-maximum';

export type BetCheck =
  | { ok: true; bet: number }
  | { ok: false; problem: BetProblem; message: string };

/**
 * Checks a bet before any credits move. It takes `unknown` because the value usually comes
 * straight from a request body, and it returns a result instead of throwing because a bad
 * bet is an expected user error (a 422), not a bug.
 */
export function validateBet(bet: unknown): BetCheck {
  if (typeof bet !== 'number' || !Number.isSafeInteger(bet)) {
    return reject('not-an-integer', `bet must be a whole number of credits`);
  }
  if (bet < MIN_BET) {
    return reject('below-minimum', `bet must be at least ${MIN_BET}`);
  }
  if (bet > MAX_BET) {
    return reject('above-maximum', `bet must be at most ${MAX_BET}`);
  }
  return { ok: true, bet };
}

function reject(problem: BetProblem, message: string): BetCheck {
  return { ok: false, problem, message };
}
