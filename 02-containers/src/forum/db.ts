import { PrismaClient } from '../generated/forum/client.ts';
import { pgAdapter } from '../service.ts';

export type ForumDatabase = PrismaClient;

/** The forum database: threads and posts. */
export function createForumDb(databaseUrl: string, poolMax = 10): ForumDatabase {
  return new PrismaClient({ adapter: pgAdapter(databaseUrl, poolMax) });
}
