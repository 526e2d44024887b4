import type { AuthorRanks } from '@course/monolith/forum';
import { createDependency, DependencyError, type Logger } from '@course/service-kit';
import { z } from 'zod';

const ranksSchema = z.object({
  ranks: z.array(z.object({ userId: z.string(), rank: z.number().int().min(1) })),
});

const NO_BADGES: ReadonlyMap<string, number> = new Map();

/**
 * The forum's one synchronous call to another service: the leaderboard places of a thread's
 * authors, from the slots service, for their badges. Badges are decoration, so the design
 * question is what happens when slots is slow or down, and the answer is: the thread page is
 * sent without them, quickly. Each lookup has a deadline, is retried at most once (with
 * jitter, after a short pause) and goes through a circuit breaker, so while slots is down the
 * forum stops asking and answers at once instead of waiting out a timeout per page.
 */
export function slotsBadges({
  slotsUrl,
  timeoutMs,
  log,
}: {
  slotsUrl: string;
  timeoutMs: number;
  log: Logger;
}): AuthorRanks {
  const slots = createDependency({
    name: 'slots',
    baseUrl: slotsUrl,
    log,
    timeoutMs,
    retries: 1,
    breaker: { failureThreshold: 3, openMs: 5_000 },
  });

  return async (authorIds, { requestId, log: requestLog }) => {
    const players = encodeURIComponent(authorIds.join(','));
    try {
      const { ranks } = await slots.getJson(
        `/internal/leaderboard-ranks?players=${players}`,
        ranksSchema,
        { requestId },
      );
      return new Map(ranks.map(({ userId, rank }) => [userId, rank]));
    } catch (err) {
      if (!(err instanceof DependencyError)) throw err;
      // The fallback: no badges. One line per page, so each page without them is explained,
      // at info like the request log itself: the dependency client has already warned of the
      // failure, and of an open circuit once, so an outage does not flood the log with warnings.
      requestLog.info(
        { dependency: 'slots', reason: err.reason },
        'thread page sent without badges',
      );
      return NO_BADGES;
    }
  };
}
