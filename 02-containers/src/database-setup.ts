import { applyMigrations } from '@course/migrate';
import { type Logger, serviceConfigSchema } from '@course/service-kit';
import { z } from 'zod';
import { whileLocked } from './database-lock.ts';
import { runOneShot } from './one-shot.ts';
import { postgresUrlSchema } from './service.ts';
import { migrationsOf, SERVICES } from './services.ts';

/*
 * The one-shot program that runs before a service starts (compose: a `<service>-migrate`
 * service; ECS: a non-essential init container the service's container waits for):
 *
 *   SERVICE=users|forum|slots node --import tsx src/database-setup.ts
 *
 * It applies the service's migrations to DATABASE_URL (on ECS, DATABASE_SECRET; see
 * container-env.ts), as the service's own role, so the tables belong to it. It needs no other
 * credentials: on AWS, the role and the database already exist, created once per deploy by
 * src/database-provisioning.ts, and a role that owns its database may change its schema.
 * Idempotent: it runs before every start.
 */

const setupConfigSchema = serviceConfigSchema.pick({ LOG_LEVEL: true }).extend({
  SERVICE: z.enum(SERVICES),
  /** The service's own database, as the service connects to it. */
  DATABASE_URL: postgresUrlSchema,
});

type SetupConfig = z.infer<typeof setupConfigSchema>;

async function setUp(config: SetupConfig, log: Logger): Promise<void> {
  // One task at a time: a migration another task is still applying would look failed.
  await whileLocked(config.DATABASE_URL, async () => {
    const { applied } = await applyMigrations({
      databaseUrl: config.DATABASE_URL,
      ...migrationsOf(config.SERVICE),
      log,
    });
    log.info({ applied: applied.length }, 'database schema up to date');
  });
}

await runOneShot(
  {
    name: 'database-setup',
    schema: setupConfigSchema,
    logAs: (config) => `${config.SERVICE}-database-setup`,
  },
  setUp,
);
