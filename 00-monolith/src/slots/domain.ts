import { describeMachine } from '@course/slot-machine';
import { z } from 'zod';

/** The machine's public description; constant, so computed once. */
export const machine = describeMachine();

export const spinRequestSchema = z.object({
  bet: z.number().int().min(machine.minBet).max(machine.maxBet),
});

export const spinListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

export const idempotencyKeySchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/);

export interface SpinRecord {
  id: string;
  bet: number;
  payout: number;
  reels: string[];
  /** The wallet balance right after this spin. */
  balance: number;
  createdAt: Date;
}

export interface LeaderboardEntry {
  rank: number;
  userId: string;
  username: string;
  balance: number;
}
