import { pgAdapter } from '@course/containers/service';
import { PrismaClient } from '../generated/forum/client.ts';

/**
 * The forum database as stage 04's schema sees it: stage 02's threads and posts, plus what this
 * stage adds (the announcements of big wins, the titles players buy). Stage 02's routes keep
 * their own client (its type is stage 02's generated one, which Prisma does not let another
 * generated client stand in for); this one is for what stage 04 adds, a small pool of its own
 * beside theirs.
 */
export type AsyncForumDatabase = PrismaClient;

export function createAsyncForumDb(databaseUrl: string, poolMax = 2): AsyncForumDatabase {
  return new PrismaClient({ adapter: pgAdapter(databaseUrl, poolMax) });
}
