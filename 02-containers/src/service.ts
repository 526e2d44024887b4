import { serviceConfigSchema } from '@course/service-kit';
import { PrismaPg } from '@prisma/adapter-pg';
import { z } from 'zod';

/**
 * What every stage-02 service reads besides its own settings: the shared chassis fields, its
 * database, and how it runs, which X-Served-By reports ("users@02 (container)").
 */
export const stage02ConfigSchema = serviceConfigSchema.extend({
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  // The Dockerfile sets "container"; the local runner starts plain processes.
  PROCESS_KIND: z.enum(['process', 'container']).default('process'),
  // Tokens are signed by the users service; this is the issuer their `iss` claim must name.
  TOKEN_ISSUER: z.string().min(1).default('users'),
});

/** A `pg` pool for Prisma; only DATABASE_URL says which server it is. */
export function pgAdapter(databaseUrl: string, poolMax: number): PrismaPg {
  return new PrismaPg({
    connectionString: databaseUrl,
    max: poolMax,
    // Fail fast when the database is unreachable, so callers get a 503 instead of a hung request.
    connectionTimeoutMillis: 2_000,
  });
}
