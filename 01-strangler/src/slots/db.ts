import { PrismaPg } from '@prisma/adapter-pg';
import type { PoolConfig } from 'pg';
import { PrismaClient } from '../generated/prisma/client.ts';

export type SlotsDatabase = PrismaClient;

/**
 * The slots database over a `pg` pool. A URL says which server it is; a pool config says more,
 * e.g. a `password` function that signs a fresh RDS IAM token for each new connection.
 * `poolMax` applies unless the config sets `max` itself.
 */
export function createDb(connection: string | PoolConfig, poolMax = 10): SlotsDatabase {
  const adapter = new PrismaPg({
    max: poolMax,
    // Fail fast when the database is unreachable, so callers get a 503 instead of a hung request.
    connectionTimeoutMillis: 2_000,
    ...(typeof connection === 'string' ? { connectionString: connection } : connection),
  });
  return new PrismaClient({ adapter });
}
