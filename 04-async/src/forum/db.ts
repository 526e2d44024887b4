import { pgAdapter } from '@course/containers/service';
import { PrismaClient } from '../generated/forum/client.ts';

/**
 * The forum database as stage 04's schema sees it: stage 02's threads and posts, plus the
 * announcements of big wins. Stage 02's routes keep their own client (its type is stage 02's
 * generated one, which Prisma does not let another generated client stand in for); this one is
 * the jackpot poller's, a small pool of its own beside theirs.
 */
export type AnnouncementsDatabase = PrismaClient;

export function createAnnouncementsDb(databaseUrl: string, poolMax = 2): AnnouncementsDatabase {
  return new PrismaClient({ adapter: pgAdapter(databaseUrl, poolMax) });
}
