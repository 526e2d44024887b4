import {
  createServiceApp,
  healthRoutes,
  type Logger,
  serviceConfigSchema,
} from '@course/service-kit';
import { PrismaPg } from '@prisma/adapter-pg';
import type { Express } from 'express';
import { z } from 'zod';

export const httpUrlSchema = z.url({ protocol: /^https?$/ });
export const postgresUrlSchema = z.url({ protocol: /^postgres(ql)?$/ });
// The Dockerfile sets "container"; the local runner starts plain processes.
export const processKindSchema = z.enum(['process', 'container']).default('process');

/**
 * What every stage-02 service reads besides its own settings: the shared chassis fields, its
 * database, and how it runs, which X-Served-By reports ("users@02 (container)").
 */
export const stage02ConfigSchema = serviceConfigSchema.extend({
  DATABASE_URL: postgresUrlSchema,
  DB_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
  PROCESS_KIND: processKindSchema,
  // Tokens are signed by the users service; this is the issuer their `iss` claim must name.
  TOKEN_ISSUER: z.string().min(1).default('users'),
});

export type Stage02Config = z.infer<typeof stage02ConfigSchema>;

/**
 * The chassis of a stage-02 service: its identity in X-Served-By, body and rate limits, the
 * proxies it believes, and health checks whose readiness is its own database only.
 */
export function createStage02App({
  service,
  config,
  log,
  ready,
}: {
  service: string;
  config: Stage02Config;
  log: Logger;
  ready: () => Promise<unknown>;
}): Express {
  const app = createServiceApp({
    identity: { service, stage: config.STAGE, kind: config.PROCESS_KIND },
    log,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    trustProxy: config.TRUST_PROXY,
  });
  app.use(
    healthRoutes({
      ready: async () => {
        await ready();
      },
    }),
  );
  return app;
}

/** A `pg` pool for Prisma; only DATABASE_URL says which server it is. */
export function pgAdapter(databaseUrl: string, poolMax: number): PrismaPg {
  return new PrismaPg({
    connectionString: databaseUrl,
    max: poolMax,
    // Fail fast when the database is unreachable, so callers get a 503 instead of a hung request.
    connectionTimeoutMillis: 2_000,
  });
}
