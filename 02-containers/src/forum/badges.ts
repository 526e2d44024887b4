import type { AuthorRanks } from '@course/monolith/forum';
import { createDependency, DependencyError, type Logger } from '@course/service-kit';
import { z } from 'zod';

/** What a ranks lookup answers: the leaderboard places of those authors who are on it. */
export const ranksSchema = z.object({
  ranks: z.array(z.object({ userId: z.string(), rank: z.number().int().min(1) })),
});

const NO_BADGES: ReadonlyMap<string, number> = new Map();

/**
 * A thread page's badges from a ranks lookup, or the fallback: no badges when the lookup fails
 * for good (a DependencyError, after the dependency's own retries and breaker). One line per
 * page, so each page without them is explained, at info like the request log itself: the
 * dependency client has already warned of the failure, and of an open circuit once, so an outage
 * does not flood the log with warnings.
 */
export async function badgesOrNone(
  dependency: string,
  lookup: () => Promise<z.output<typeof ranksSchema>>,
  requestLog: Logger,
): Promise<ReadonlyMap<string, number>> {
  try {
    const { ranks } = await lookup();
    return new Map(ranks.map(({ userId, rank }) => [userId, rank]));
  } catch (err) {
    if (!(err instanceof DependencyError)) throw err;
    requestLog.info({ dependency, reason: err.reason }, 'thread page sent without badges');
    return NO_BADGES;
  }
}

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

  return (authorIds, { requestId, log: requestLog }) => {
    const players = encodeURIComponent(authorIds.join(','));
    return badgesOrNone(
      slots.name,
      () =>
        slots.getJson(`/internal/leaderboard-ranks?players=${players}`, ranksSchema, { requestId }),
      requestLog,
    );
  };
}
