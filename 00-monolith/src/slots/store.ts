import type { AuthUser } from '@course/service-kit/core';
import type { LeaderboardEntry, SpinRecord } from './domain.ts';

/** A spin drawn by the machine, waiting to be paid for and recorded. */
export interface SpinToSettle {
  userId: string;
  bet: number;
  payout: number;
  reels: readonly string[];
  idempotencyKey: string | null;
}

export type SpinOutcome =
  | { kind: 'settled'; spin: SpinRecord }
  | { kind: 'replayed'; spin: SpinRecord }
  | { kind: 'insufficient-credits'; balance: number };

/**
 * Everything the slots routes need from storage. The monolith implements it over its one
 * database (data.ts); the slots service extracted in stage 01 implements it over a database of
 * its own, and reuses these routes unchanged. This seam is what makes that extraction a move
 * rather than a rewrite.
 */
export interface SlotsStore {
  /** Creates the player's wallet on first touch; false if the player no longer exists. */
  ensureWallet(player: AuthUser, startingBalance: number): Promise<boolean>;
  readBalance(userId: string): Promise<number>;
  findSpinByKey(userId: string, idempotencyKey: string): Promise<SpinRecord | null>;
  /** Debits the bet, credits the payout and records the spin, atomically. */
  settleSpin(spin: SpinToSettle): Promise<SpinOutcome>;
  /** Newest first. */
  listSpins(userId: string, limit: number): Promise<SpinRecord[]>;
  /** Richest first, ties by username. */
  topWallets(limit: number): Promise<LeaderboardEntry[]>;
}
