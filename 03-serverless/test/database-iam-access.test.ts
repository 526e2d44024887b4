import { fileURLToPath } from 'node:url';
import {
  appliedCount,
  migrationNames,
  query,
  runOneShot,
  runProgram,
  urlAs,
  variablesNamedBy,
} from '@course/containers/test/programs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * src/database-iam-access.ts on a real PostgreSQL server, after stage 02's provisioning and slots'
 * migrations, as the deploy runs them. What it grants is what the slots functions can do with
 * their IAM login; what it withholds is what a leaked token could not do.
 */

const program = fileURLToPath(new URL('../src/database-iam-access.ts', import.meta.url));
const serverUrl = process.env.TEST_POSTGRES_URL;

describe('database IAM access: its configuration', () => {
  it('exits 1 naming every missing variable in one fatal line, with no stack trace', async () => {
    const run = await runOneShot(program, {});

    expect(run.code).toBe(1);
    expect(run.lines.map((line) => line.level)).toEqual(['fatal']);
    expect(variablesNamedBy(run).sort()).toEqual([
      'DATABASE_ADMIN_URL',
      'IAM_DATABASE',
      'IAM_DATABASE_OWNER',
      'IAM_ROLE',
    ]);
    expect(run.output).not.toMatch(/\n\s+at /);
  });
});

// Roles, grants and default privileges are what PGlite cannot show: CI starts PostgreSQL and sets
// TEST_POSTGRES_URL; locally `pg_ctlcluster 15 main start` and export it.
describe.runIf(serverUrl)('database IAM access on a PostgreSQL server like RDS', () => {
  const server = serverUrl ?? '';
  // Unique per run (roles belong to the whole server), with characters that need quoting in SQL.
  const suffix = crypto.randomUUID().slice(0, 8);
  const admin = { role: `admin-${suffix}`, password: "adm'n pw", database: `admin-${suffix}` };
  const services = ['users', 'forum', 'slots'] as const;
  const nameOf = (service: string) => `${service}-iam-${suffix}`;
  const serviceUrl = (service: string) =>
    urlAs(server, nameOf(service), `${service}'s pw`, nameOf(service));
  const functionsRole = { role: `slots_lambda-${suffix}`, password: "lambda's pw (tests only)" };
  /** The functions' login: on RDS an IAM token; here a password this test gives the role. */
  const functionsUrl = (database = nameOf('slots')) =>
    urlAs(server, functionsRole.role, functionsRole.password, database);
  /** The test server's own superuser, in `database`: to read the catalogs. */
  const superuserIn = (database: string) => {
    const url = new URL(server);
    url.pathname = `/${encodeURIComponent(database)}`;
    return url.href;
  };
  // A function, not a value: the body of a skipped describe still runs, with no server URL.
  const iamAccessEnv = () => ({
    DATABASE_ADMIN_URL: urlAs(server, admin.role, admin.password, admin.database),
    IAM_ROLE: functionsRole.role,
    IAM_DATABASE: nameOf('slots'),
    IAM_DATABASE_OWNER: nameOf('slots'),
  });
  let firstRun: Awaited<ReturnType<typeof runOneShot>>;

  /** The role's attributes, memberships and settings, and every privilege it holds in slots'. */
  async function accessOf(role: string) {
    const slots = superuserIn(nameOf('slots'));
    const [attributes, memberships, database, schema, tables, defaults] = await Promise.all([
      query(
        server,
        `SELECT rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication,
                rolbypassrls, rolconfig
           FROM pg_roles WHERE rolname = $1`,
        [role],
      ),
      query(
        server,
        `SELECT r.rolname, m.admin_option FROM pg_auth_members m
           JOIN pg_roles r ON r.oid = m.roleid
          WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1) ORDER BY r.rolname`,
        [role],
      ),
      query(server, 'SELECT datacl::text AS acl FROM pg_database WHERE datname = $1', [
        nameOf('slots'),
      ]),
      query(slots, `SELECT nspacl::text AS acl FROM pg_namespace WHERE nspname = 'public'`),
      query(
        slots,
        `SELECT relname, relkind, relacl::text AS acl FROM pg_class
          WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'S') ORDER BY relname`,
      ),
      query(
        slots,
        `SELECT pg_get_userbyid(defaclrole) AS owner, defaclobjtype, defaclacl::text AS acl
           FROM pg_default_acl ORDER BY defaclobjtype`,
      ),
    ]);
    return {
      attributes: attributes.rows,
      memberships: memberships.rows,
      database: database.rows,
      schema: schema.rows,
      tables: tables.rows,
      defaults: defaults.rows,
    };
  }

  beforeAll(async () => {
    // On RDS the rds_iam role exists on every server: membership in it is what makes RDS ask for
    // an IAM token instead of a password. A plain PostgreSQL server has no such role; here it is
    // only a role, created once and left in place for the next run.
    await query(
      server,
      `DO $$ BEGIN CREATE ROLE rds_iam; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
    );
    // Like RDS's master user: it may create roles and databases, but it is no superuser.
    const adminRole = pg.escapeIdentifier(admin.role);
    await query(
      server,
      `CREATE ROLE ${adminRole} LOGIN CREATEROLE CREATEDB PASSWORD ${pg.escapeLiteral(admin.password)}`,
    );
    await query(
      server,
      `CREATE DATABASE ${pg.escapeIdentifier(admin.database)} OWNER ${adminRole}`,
    );
    // The deploy's order: stage 02's provisioning, slots' migrations, then this program.
    const provisioned = await runProgram('database-provisioning', {
      DATABASE_ADMIN_URL: iamAccessEnv().DATABASE_ADMIN_URL,
      USERS_DATABASE_URL: serviceUrl('users'),
      FORUM_DATABASE_URL: serviceUrl('forum'),
      SLOTS_DATABASE_URL: serviceUrl('slots'),
    });
    expect(provisioned.code, provisioned.output).toBe(0);
    const migrated = await runProgram('database-setup', {
      SERVICE: 'slots',
      DATABASE_URL: serviceUrl('slots'),
    });
    expect(migrated.code, migrated.output).toBe(0);
    expect(appliedCount(migrated)).toBe(migrationNames('slots').length);
    firstRun = await runOneShot(program, iamAccessEnv());
    // Only here: on RDS, a member of rds_iam can log in with an IAM token and nothing else.
    await query(
      server,
      `ALTER ROLE ${pg.escapeIdentifier(functionsRole.role)} PASSWORD ${pg.escapeLiteral(functionsRole.password)}`,
    );
  });

  afterAll(async () => {
    // The databases first: the grants and default privileges inside them go with them.
    for (const database of [...services.map(nameOf), admin.database]) {
      await query(server, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
    }
    // The administrator last: it is a member of the roles it created.
    for (const role of [functionsRole.role, ...services.map(nameOf), admin.role]) {
      await query(server, `DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
    }
  });

  it('runs as a master user that is no superuser, and makes the role a member of rds_iam only', async () => {
    const access = await accessOf(functionsRole.role);

    expect(firstRun.code, firstRun.output).toBe(0);
    expect(access.attributes).toEqual([
      expect.objectContaining({
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolcanlogin: true,
        rolreplication: false,
        rolbypassrls: false,
      }),
    ]);
    expect(access.memberships).toEqual([{ rolname: 'rds_iam', admin_option: false }]);
  });

  it('lets the role read and write the wallets and spins', async () => {
    const player = crypto.randomUUID();
    const client = new pg.Client({ connectionString: functionsUrl() });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO wallets (user_id, username, balance) VALUES ($1, 'ann', 100)`,
        [player],
      );
      await client.query('UPDATE wallets SET balance = balance - 5 WHERE user_id = $1', [player]);
      await client.query(
        `INSERT INTO spins (id, user_id, bet, payout, reels, balance_after)
         VALUES ($1, $2, 5, 0, ARRAY['cherry', 'puppy', 'robot'], 95)`,
        [crypto.randomUUID(), player],
      );

      const { rows } = await client.query(
        `SELECT w.balance, s.balance_after FROM wallets w JOIN spins s USING (user_id)
          WHERE w.user_id = $1`,
        [player],
      );

      expect(rows).toEqual([{ balance: 95, balance_after: 95 }]);
    } finally {
      await client.end();
    }
  });

  it('refuses the role every change to the schema, and deleting the spin history', async () => {
    const refusals = [
      'CREATE TABLE notes (id int)',
      'ALTER TABLE wallets ADD COLUMN note text',
      'ALTER TABLE wallets DROP CONSTRAINT wallets_balance_not_negative',
      'CREATE INDEX spins_bet_idx ON spins (bet)',
      'DROP TABLE spins',
      'TRUNCATE spins',
      'DELETE FROM spins',
      'CREATE SCHEMA mine',
    ];

    for (const statement of refusals) {
      await expect(query(functionsUrl(), statement), statement).rejects.toMatchObject({
        code: '42501',
      });
    }
  });

  it('refuses the role the migration history, to read or to rewrite', async () => {
    const refusals = [
      'SELECT migration_name FROM _prisma_migrations',
      `UPDATE _prisma_migrations SET checksum = 'forged'`,
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, applied_steps_count)
       VALUES ('forged', 'forged', '99999999999999_forged', 1)`,
    ];

    for (const statement of refusals) {
      await expect(query(functionsUrl(), statement), statement).rejects.toMatchObject({
        code: '42501',
      });
    }
    // The owner's own rights on it are untouched: the next deploy's migrations still read it.
    const { rows } = await query(
      serviceUrl('slots'),
      'SELECT count(*)::int AS n FROM _prisma_migrations',
    );
    expect(rows).toEqual([{ n: migrationNames('slots').length }]);
  });

  it("refuses the role the other services' databases", async () => {
    for (const database of ['users', 'forum'].map(nameOf)) {
      await expect(query(functionsUrl(database), 'SELECT 1'), database).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/permission denied for database/),
      });
    }
  });

  it('lets the role use a table that a later migration creates as the owner', async () => {
    // What a later migration of slots does: runs as slots, creates a table with a sequence.
    await query(
      serviceUrl('slots'),
      'CREATE TABLE jackpots (id serial PRIMARY KEY, amount int NOT NULL)',
    );

    await query(functionsUrl(), 'INSERT INTO jackpots (amount) VALUES (500)');
    await query(functionsUrl(), 'UPDATE jackpots SET amount = amount + 1');
    const { rows } = await query(functionsUrl(), 'SELECT id, amount FROM jackpots');

    expect(rows).toEqual([{ id: 1, amount: 501 }]);
    await expect(query(functionsUrl(), 'DROP TABLE jackpots')).rejects.toMatchObject({
      code: '42501',
    });
  });

  it("sets an idle session timeout on the role's every session", async () => {
    const { rows } = await query(functionsUrl(), 'SHOW idle_session_timeout');

    expect(rows).toEqual([{ idle_session_timeout: '10min' }]);
    // Its own setting, not the server's: the services' sessions keep theirs.
    const other = await query(serviceUrl('slots'), 'SHOW idle_session_timeout');
    expect(other.rows).not.toEqual(rows);
  });

  it('changes nothing when run again, as a deploy with a new image runs it', async () => {
    const before = await accessOf(functionsRole.role);

    const again = await runOneShot(program, iamAccessEnv());

    expect(again.code, again.output).toBe(0);
    expect(await accessOf(functionsRole.role)).toEqual(before);
    // Its password (this test's stand-in for a token) and its rows are untouched.
    expect((await query(functionsUrl(), 'SELECT count(*)::int AS n FROM wallets')).rows).toEqual([
      { n: 1 },
    ]);
    expect(before.tables.length).toBeGreaterThan(0);
    expect(before.defaults.length).toBeGreaterThan(0);
  });

  it('turns the idle session timeout off with 0s, as behind RDS Proxy, and back on without it', async () => {
    const proxied = await runOneShot(program, {
      ...iamAccessEnv(),
      IAM_ROLE_IDLE_SESSION_TIMEOUT: '0s',
    });
    const off = await query(functionsUrl(), 'SHOW idle_session_timeout');
    const direct = await runOneShot(program, iamAccessEnv());
    const on = await query(functionsUrl(), 'SHOW idle_session_timeout');

    expect(proxied.code, proxied.output).toBe(0);
    expect(off.rows).toEqual([{ idle_session_timeout: '0' }]);
    expect(direct.code, direct.output).toBe(0);
    expect(on.rows).toEqual([{ idle_session_timeout: '10min' }]);
  });
});
