import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { applyMigrations } from '@course/migrate';
import {
  ConfigError,
  createLogger,
  type Logger,
  parseConfig,
  serviceConfigSchema,
} from '@course/service-kit';
import pg from 'pg';
import { z } from 'zod';
import { containerEnvironment } from './container-env.ts';
import { postgresUrlSchema } from './service.ts';
import { migrationsOf, SERVICES } from './services.ts';

/*
 * The one-shot program that runs before a service starts (compose: a `<service>-migrate`
 * service; ECS: a non-essential init container the service's container waits for):
 *
 *   SERVICE=users|forum|slots node --import tsx src/database-setup.ts
 *
 * The service's database is DATABASE_URL (on ECS, DATABASE_SECRET; see container-env.ts).
 * With DATABASE_ADMIN_URL (on ECS, DATABASE_ADMIN_SECRET: the RDS master secret), it first
 * provisions the service's own role and database on the shared server, the way a database
 * administrator would. Then it applies the service's migrations as the service's own role, so
 * the tables belong to it. Every step is idempotent: it runs before every start.
 */

const setupConfigSchema = serviceConfigSchema
  .pick({ LOG_LEVEL: true })
  .extend({
    SERVICE: z.enum(SERVICES),
    /** The service's own database, as the service connects to it. */
    DATABASE_URL: postgresUrlSchema,
    /** An administrator of the server: absent, the database and role must already exist. */
    DATABASE_ADMIN_URL: postgresUrlSchema.optional(),
  })
  .superRefine(
    (config, ctx) => {
      if (config.DATABASE_ADMIN_URL === undefined) return;
      const target = loginOf(config.DATABASE_URL);
      const admin = loginOf(config.DATABASE_ADMIN_URL);
      const problem = (message: string) =>
        ctx.addIssue({ code: 'custom', path: ['DATABASE_URL'], message });
      if (!target.role || !target.password || !target.database) {
        problem('expected a user, a password and a database name to provision');
      }
      // Provisioning those would change the administrator's password, or shut everyone else
      // out of the administrator's own database.
      if (target.role === admin.role) problem("the service's role must not be the administrator's");
      if (target.database === admin.database) {
        problem("the service's database must not be the administrator's");
      }
    },
    // Only once every field is valid: an unparsable URL has already been reported.
    { when: (payload) => payload.issues.length === 0 },
  );

type SetupConfig = z.infer<typeof setupConfigSchema>;

/** Whom a database URL connects as, and to which database. */
interface Login {
  role: string;
  password: string;
  database: string;
}

function loginOf(databaseUrl: string): Login {
  const url = new URL(databaseUrl);
  return {
    role: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
  };
}

/**
 * Runs `work` on a connection to `databaseUrl` that holds this program's advisory lock on that
 * database. The tasks of one service start together, each with its own setup: this makes them
 * take turns. The lock belongs to the session, so it is released when the connection ends,
 * whatever happens.
 */
async function whileLocked(
  databaseUrl: string,
  work: (client: pg.Client) => Promise<void>,
): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['course-database-setup']);
    await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The password as PostgreSQL stores it (SCRAM-SHA-256, RFC 5802), computed here so that the
 * password itself is never part of an SQL statement, which the server may log. PostgreSQL
 * normalizes a password with SASLprep first; for the ASCII passwords Secrets Manager generates,
 * that changes nothing.
 */
function scramVerifier(password: string): string {
  const iterations = 4096;
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const storedKey = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const serverKey = hmac(salted, 'Server Key');
  const b64 = (bytes: Buffer) => bytes.toString('base64');
  return `SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(storedKey)}:${b64(serverKey)}`;
}

/**
 * As the administrator: the service's role (its password set from the service's secret, so a
 * changed secret takes effect), a database it owns, and no one else allowed to connect to it.
 */
async function provision(admin: pg.Client, target: Login, log: Logger): Promise<void> {
  const role = pg.escapeIdentifier(target.role);
  const password = pg.escapeLiteral(scramVerifier(target.password));
  const database = pg.escapeIdentifier(target.database);

  const roleExists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [target.role]);
  if (roleExists.rowCount === 0) {
    await admin.query(`CREATE ROLE ${role} WITH LOGIN PASSWORD ${password}`);
    log.info({ role: target.role }, 'role created');
  } else {
    await admin.query(`ALTER ROLE ${role} WITH LOGIN PASSWORD ${password}`);
    log.info({ role: target.role }, 'role password set');
  }

  const databaseExists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
    target.database,
  ]);
  if (databaseExists.rowCount === 0) {
    // RDS's master user is no superuser: it may only give a database to a role it is a
    // member of.
    await admin.query(`GRANT ${role} TO CURRENT_USER`);
    // Not in a transaction: PostgreSQL refuses CREATE DATABASE inside one.
    await admin.query(`CREATE DATABASE ${database} OWNER ${role}`);
    log.info({ database: target.database }, 'database created');
  }
  // Every role may connect to a new database by default; the owner keeps its own right.
  await admin.query(`REVOKE CONNECT ON DATABASE ${database} FROM PUBLIC`);
}

async function setUp(config: SetupConfig, log: Logger): Promise<void> {
  if (config.DATABASE_ADMIN_URL !== undefined) {
    const target = loginOf(config.DATABASE_URL);
    await whileLocked(config.DATABASE_ADMIN_URL, (admin) => provision(admin, target, log));
  }
  // One at a time here too: a migration another task is still applying would look failed.
  await whileLocked(config.DATABASE_URL, async () => {
    const { applied } = await applyMigrations({
      databaseUrl: config.DATABASE_URL,
      ...migrationsOf(config.SERVICE),
      log,
    });
    log.info({ applied: applied.length }, 'database schema up to date');
  });
}

let config: SetupConfig;
try {
  config = parseConfig(setupConfigSchema, containerEnvironment(process.env));
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // The list of what is missing or wrong is the whole story: no stack trace.
  createLogger({ service: 'database-setup' }).fatal(err.message);
  process.exit(1);
}
const log = createLogger({ service: `${config.SERVICE}-database-setup`, level: config.LOG_LEVEL });
try {
  await setUp(config, log);
} catch (err) {
  log.fatal({ err }, 'database setup failed');
  process.exit(1);
}
// Done: exit now rather than wait for idle pooled connections to time out, which would delay
// the service's start by as much.
process.exit(0);
