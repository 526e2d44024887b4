import { PrismaPg } from '@prisma/adapter-pg';
import { type Prisma, PrismaClient } from './generated/prisma/client.ts';

export type Db = PrismaClient;

/** Whatever can run a query: the client itself, or a transaction in progress. */
export type Queryable = Db | Prisma.TransactionClient;

/**
 * One Prisma client over a `pg` pool. The same code talks to embedded PGlite, a compose
 * container or RDS: only DATABASE_URL changes (a backing service as an attached resource).
 */
export function createDb(databaseUrl: string, poolMax = 10): Db {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: poolMax,
    // Fail fast when the database is unreachable, so callers get a 503 instead of a hung request.
    connectionTimeoutMillis: 2_000,
  });
  return new PrismaClient({ adapter });
}

/** Readiness: the database answers a trivial query. */
export async function pingDb(db: Db): Promise<void> {
  await db.$queryRaw`SELECT 1`;
}
