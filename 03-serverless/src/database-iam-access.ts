import { whileLocked } from '@course/containers/database-lock';
import { runOneShot } from '@course/containers/one-shot';
import { postgresUrlSchema } from '@course/containers/service';
import { type Logger, serviceConfigSchema } from '@course/service-kit';
import pg from 'pg';
import { z } from 'zod';

/*
 * The one-shot program that lets the slots functions into the slots database with RDS IAM
 * authentication. It runs on AWS only, in a deploy-time task of its own, once stage 02's
 * provisioning has created every service's role and database and slots' migrations have run
 * (cdk/serverless-stack.ts), as the RDS master user, who is no superuser there (a member of
 * rds_superuser), so it uses only what such a user may do:
 *
 *   DATABASE_ADMIN_URL=… IAM_ROLE=slots_lambda IAM_DATABASE=slots IAM_DATABASE_OWNER=slots \
 *     node --import tsx src/database-iam-access.ts
 *
 * The functions' role is a role of its own, not the slots service's: a role granted `rds_iam` can
 * no longer log in with a password, and the migrations (stage 02's database setup, run as the
 * slots role with its secret) need one. The functions' role may read, add and change the rows of
 * the slots tables and nothing else: no DELETE, no DDL, no other service's database, and not the
 * migration history. It runs after slots' migrations, in a task of its own that runs again only
 * when its image changes, so its rights cover the tables that exist and, through the owner's
 * default privileges, those that later migrations create. Idempotent: running it again changes
 * nothing.
 */

const configSchema = z.object({
  LOG_LEVEL: serviceConfigSchema.shape.LOG_LEVEL,
  /** The RDS master user, in the server's administration database. */
  DATABASE_ADMIN_URL: postgresUrlSchema,
  /** The role the functions log in as, with an IAM token. */
  IAM_ROLE: z.string().min(1),
  /** The database it may use… */
  IAM_DATABASE: z.string().min(1),
  /** …whose tables this role owns (and creates, in later migrations). */
  IAM_DATABASE_OWNER: z.string().min(1),
  /**
   * How long a session of the IAM role may sit idle before the server ends it. A Lambda execution
   * environment holds its one connection open while it waits for work, and Lambda may reclaim it
   * without a word to the server: its connection would count against `max_connections` until
   * TCP noticed. The timeout frees it at the latest this long after its last query. `0s` turns
   * it off, as behind RDS Proxy, whose pooled connections are the sessions here.
   */
  IAM_ROLE_IDLE_SESSION_TIMEOUT: z
    .string()
    .regex(/^\d+(min|s)$/)
    .default('10min'),
});
type Config = z.infer<typeof configSchema>;

/**
 * The migrations' record of what they applied (infra/migrate, like `prisma migrate deploy`). A role
 * that could change it could make the next deploy skip or re-apply a migration.
 */
const MIGRATION_HISTORY = 'public._prisma_migrations';

/** What the functions may do to the rows of slots' tables, and with their sequences. */
const TABLE_RIGHTS = 'SELECT, INSERT, UPDATE';
const SEQUENCE_RIGHTS = 'USAGE, SELECT';

async function grantIamAccess(config: Config, log: Logger): Promise<void> {
  const role = pg.escapeIdentifier(config.IAM_ROLE);
  const owner = pg.escapeIdentifier(config.IAM_DATABASE_OWNER);
  const database = pg.escapeIdentifier(config.IAM_DATABASE);

  await whileLocked(config.DATABASE_ADMIN_URL, async (admin) => {
    const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [
      config.IAM_ROLE,
    ]);
    if (exists.rowCount === 0) await admin.query(`CREATE ROLE ${role} WITH LOGIN`);
    // Its login is an IAM token from now on; a password would not be accepted.
    await admin.query(`GRANT rds_iam TO ${role}`);
    await admin.query(
      `ALTER ROLE ${role} SET idle_session_timeout = ${pg.escapeLiteral(config.IAM_ROLE_IDLE_SESSION_TIMEOUT)}`,
    );
    // To act for the owner in its database (connect, grant on its tables, set its defaults), the
    // master user, who is no superuser on RDS, must be a member of the owner's role.
    await admin.query(`GRANT ${owner} TO CURRENT_USER`);
    await admin.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
  });

  // In the database itself, holding the lock slots' migrations take there too (the two never
  // interleave), in one transaction (a failure leaves the rights as they were).
  const url = new URL(config.DATABASE_ADMIN_URL);
  url.pathname = `/${encodeURIComponent(config.IAM_DATABASE)}`;
  await whileLocked(url.href, async (client) => {
    await client.query('BEGIN');
    try {
      // Rows only, and no DELETE: the functions never delete a row (the spins are the ledger),
      // so a compromised function cannot erase it either. No CREATE: since PostgreSQL 15 no
      // role but the database's owner may create in schema public. The tables that the owner's
      // later migrations create first, then those that exist now, so none falls between.
      for (const statement of [
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT ${TABLE_RIGHTS} ON TABLES TO ${role}`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT ${SEQUENCE_RIGHTS} ON SEQUENCES TO ${role}`,
        `GRANT USAGE ON SCHEMA public TO ${role}`,
        `GRANT ${TABLE_RIGHTS} ON ALL TABLES IN SCHEMA public TO ${role}`,
        `GRANT ${SEQUENCE_RIGHTS} ON ALL SEQUENCES IN SCHEMA public TO ${role}`,
      ]) {
        await client.query(statement);
      }
      // Every table but the migration history, which the grants above (and the default
      // privileges, when the first migrations created it) include: it exists by now, as this
      // runs after the migrations.
      const history = await client.query<{ present: boolean }>(
        'SELECT to_regclass($1) IS NOT NULL AS present',
        [MIGRATION_HISTORY],
      );
      if (history.rows[0]?.present) {
        await client.query(`REVOKE ALL ON TABLE ${MIGRATION_HISTORY} FROM ${role}`);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK');
      throw err;
    }
  });
  log.info({ role: config.IAM_ROLE, database: config.IAM_DATABASE }, 'IAM access granted');
}

await runOneShot({ name: 'database-iam-access', schema: configSchema }, grantIamAccess);
