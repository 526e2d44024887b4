import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type SlotsDatabase = PrismaClient;

/** The slots database over a `pg` pool; only DATABASE_URL says which server it is. */
export function createDb(databaseUrl: string, poolMax = 10): SlotsDatabase {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: poolMax,
    // Fail fast when the database is unreachable, so callers get a 503 instead of a hung request.
    connectionTimeoutMillis: 2_000,
  });
  return new PrismaClient({ adapter });
}
