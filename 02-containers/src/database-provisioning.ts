import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { type Logger, serviceConfigSchema } from '@course/service-kit';
import pg from 'pg';
import { z } from 'zod';
import { whileLocked } from './database-lock.ts';
import { runOneShot } from './one-shot.ts';
import { postgresUrlSchema } from './service.ts';
import { provisioningVariablesOf, SERVICES, type Service } from './services.ts';

/*
 * The one-shot program that gives every service a role and a database of its own on the shared
 * server, the way a database administrator would. On AWS it runs once per deploy, before any
 * service starts, as a task of its own (cdk/containers-stack.ts): the only task that ever holds
 * the RDS master secret. The services' own setup (src/database-setup.ts) then only migrates,
 * with the service's own credentials.
 *
 *   DATABASE_ADMIN_URL=… USERS_DATABASE_URL=… FORUM_DATABASE_URL=… SLOTS_DATABASE_URL=… \
 *     node --import tsx src/database-provisioning.ts
 *
 * On ECS the URLs come from secrets: DATABASE_ADMIN_SECRET (the master secret) and
 * <SERVICE>_DATABASE_SECRET (see container-env.ts). Idempotent: a second run finds everything in
 * place and changes nothing but each role's password hash (the same password, a new salt).
 */

// Object.fromEntries cannot name its keys; these are exactly the services' URL variables.
const serviceUrls = Object.fromEntries(
  SERVICES.map((service) => [provisioningVariablesOf(service).url, postgresUrlSchema]),
) as Record<`${Uppercase<Service>}_DATABASE_URL`, typeof postgresUrlSchema>;

const provisioningConfigSchema = z
  .object({
    LOG_LEVEL: serviceConfigSchema.shape.LOG_LEVEL,
    /** An administrator of the server (on RDS, the master user): creates roles and databases. */
    DATABASE_ADMIN_URL: postgresUrlSchema,
    ...serviceUrls,
  })
  .superRefine(
    (config, ctx) => {
      const admin = loginOf(config.DATABASE_ADMIN_URL);
      const seen = { roles: new Map<string, Service>(), databases: new Map<string, Service>() };
      for (const service of SERVICES) {
        const variable = provisioningVariablesOf(service).url;
        const target = loginOf(config[variable]);
        const problem = (message: string) =>
          ctx.addIssue({ code: 'custom', path: [variable], message });
        if (!target.role || !target.password || !target.database) {
          problem('expected a user, a password and a database name to provision');
        }
        // Provisioning those would change the administrator's password, or shut everyone else
        // out of the administrator's own database.
        if (target.role === admin.role)
          problem("the service's role must not be the administrator's");
        if (target.database === admin.database) {
          problem("the service's database must not be the administrator's");
        }
        // Two services sharing a role or a database would not be isolated from each other.
        const sharesRole = seen.roles.get(target.role);
        if (sharesRole) problem(`the service's role is also ${sharesRole}'s`);
        const sharesDatabase = seen.databases.get(target.database);
        if (sharesDatabase) problem(`the service's database is also ${sharesDatabase}'s`);
        seen.roles.set(target.role, service);
        seen.databases.set(target.database, service);
      }
    },
    // Only once every field is valid: an unparsable URL has already been reported.
    { when: (payload) => payload.issues.length === 0 },
  );

type ProvisioningConfig = z.infer<typeof provisioningConfigSchema>;

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

async function provisionAll(config: ProvisioningConfig, log: Logger): Promise<void> {
  await whileLocked(config.DATABASE_ADMIN_URL, async (admin) => {
    for (const service of SERVICES) {
      const target = loginOf(config[provisioningVariablesOf(service).url]);
      await provision(admin, target, log.child({ service }));
    }
  });
  log.info({ services: SERVICES }, 'every service has its role and database');
}

await runOneShot({ name: 'database-provisioning', schema: provisioningConfigSchema }, provisionAll);
