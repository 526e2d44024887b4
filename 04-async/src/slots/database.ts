import type { DatabaseConfig } from '@course/serverless/slots/config';
import { poolConfig } from '@course/serverless/slots/database';
import { PrismaPg } from '@prisma/adapter-pg';
import type { PoolConfig } from 'pg';
import { PrismaClient } from '../generated/slots/client.ts';

/** The slots database of stage 04: stage 01's tables, the outbox and the leaderboard. */
export type AsyncSlotsDatabase = PrismaClient;

/**
 * The slots database over a `pg` pool, with this stage's client (its schema has the outbox and
 * the leaderboard). A URL for scripts and tests, a pool config for anything else.
 */
export function createDb(connection: string | PoolConfig, poolMax = 10): AsyncSlotsDatabase {
  const adapter = new PrismaPg({
    max: poolMax,
    // Fail fast when the database is unreachable: a 503 instead of a hung request.
    connectionTimeoutMillis: 2_000,
    ...(typeof connection === 'string' ? { connectionString: connection } : connection),
  });
  return new PrismaClient({ adapter });
}

/**
 * The database of one execution environment, exactly as stage 03's functions hold it (one
 * connection, kept; an RDS IAM token per new connection on AWS: see stage 03's database.ts).
 */
export function connectSlotsDatabase(database: DatabaseConfig): AsyncSlotsDatabase {
  return createDb(poolConfig(database));
}
