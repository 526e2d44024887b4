import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '@course/local';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import stage from '../stage.ts';

const containersDir = fileURLToPath(new URL('..', import.meta.url));
const serverUrl = process.env.TEST_POSTGRES_URL;

interface LogLine {
  level: string;
  msg: string;
  applied?: number;
}

type SetupEnv = { SERVICE: string; DATABASE_URL: string; DATABASE_ADMIN_URL: string };

interface SetupRun {
  code: number;
  lines: LogLine[];
  output: string;
}

/** The entrypoint the containers run, as a child process with only the given environment. */
function runDatabaseSetup(env: Record<string, string>): Promise<SetupRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/database-setup.ts'],
      { cwd: containersDir, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        // A non-zero exit is a result here; only failing to run at all is an error.
        if (error && typeof error.code !== 'number') return reject(error);
        const lines = stdout
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as LogLine);
        resolve({ code: error ? Number(error.code) : 0, lines, output: stdout + stderr });
      },
    );
  });
}

function appliedCount(run: SetupRun): number | undefined {
  return run.lines.find((line) => line.msg === 'database schema up to date')?.applied;
}

/** The migration folders the stage's runner applies to a service's database, in order. */
function migrationNames(service: string): string[] {
  const definition = stage.databases.find((database) => database.name === service);
  if (!definition) throw new Error(`stage 02 has no database named ${service}`);
  return readdirSync(definition.migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function query(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('database setup without an administrator (local runner, compose)', () => {
  let database: EmbeddedPostgres | undefined;
  afterEach(async () => {
    await database?.stop();
    database = undefined;
  });

  it.each(['users', 'forum', 'slots'])(
    "applies the %s service's migrations, and a second run applies none",
    async (service) => {
      database = await startEmbeddedPostgres();
      const env = { SERVICE: service, DATABASE_URL: database.url };

      const first = await runDatabaseSetup(env);
      const second = await runDatabaseSetup(env);

      const recorded = await query(
        database.url,
        'SELECT migration_name FROM _prisma_migrations ORDER BY migration_name',
      );
      expect(first.code, first.output).toBe(0);
      expect(appliedCount(first)).toBe(migrationNames(service).length);
      expect(second.code, second.output).toBe(0);
      expect(appliedCount(second)).toBe(0);
      expect(recorded.rows.map((row) => row.migration_name)).toEqual(migrationNames(service));
    },
  );

  it('exits 1 listing every missing variable at once, with no stack trace', async () => {
    const run = await runDatabaseSetup({});

    expect(run.code).toBe(1);
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]?.level).toBe('fatal');
    expect(run.lines[0]?.msg).toMatch(/^\s+SERVICE: /m);
    expect(run.lines[0]?.msg).toMatch(/^\s+DATABASE_URL: /m);
    expect(run.output).not.toMatch(/\n\s+at /);
  });

  it('names a malformed database secret without echoing it', async () => {
    const run = await runDatabaseSetup({
      SERVICE: 'users',
      DATABASE_SECRET: '{"username":"users","password":"hunter2",',
    });

    expect(run.code).toBe(1);
    expect(run.lines[0]?.msg).toMatch(/DATABASE_SECRET: expected the JSON of a database secret/);
    expect(run.output).not.toContain('hunter2');
  });

  it("refuses to provision the administrator's own role or database", async () => {
    const run = await runDatabaseSetup({
      SERVICE: 'users',
      DATABASE_URL: 'postgresql://master:other@127.0.0.1:1/app',
      DATABASE_ADMIN_URL: 'postgresql://master:secret@127.0.0.1:1/app',
    });

    expect(run.code).toBe(1);
    expect(run.lines[0]?.msg).toMatch(/role must not be the administrator's/);
    expect(run.lines[0]?.msg).toMatch(/database must not be the administrator's/);
  });
});

// Roles and database privileges are what PGlite cannot show: CI starts PostgreSQL and sets
// TEST_POSTGRES_URL; locally `pg_ctlcluster 15 main start` and export it.
describe.runIf(serverUrl)(
  'database setup on a shared PostgreSQL server, as its administrator',
  () => {
    const server = serverUrl ?? '';
    // Unique per run, and with a character that needs quoting in SQL.
    const suffix = crypto.randomUUID().slice(0, 8);
    const name = (service: string) => `${service}-${suffix}`;
    const admin = { role: name('admin'), password: "adm'n pw", database: name('admin') };
    const created = { roles: [admin.role], databases: [admin.database] };

    /** A URL to the test server as `role` into `database`. */
    function urlAs(role: string, password: string, database: string): string {
      const url = new URL(server);
      url.username = encodeURIComponent(role);
      url.password = encodeURIComponent(password);
      url.pathname = `/${encodeURIComponent(database)}`;
      return url.href;
    }

    /**
     * The environment of a service's setup container: its own URL and the administrator's. The
     * service's role and database are both called after `label`.
     */
    function setupEnv(service: string, password: string, label = service): SetupEnv {
      created.roles.push(name(label));
      created.databases.push(name(label));
      return {
        SERVICE: service,
        DATABASE_URL: urlAs(name(label), password, name(label)),
        DATABASE_ADMIN_URL: urlAs(admin.role, admin.password, admin.database),
      };
    }

    beforeAll(async () => {
      // Like RDS's master user: it may create roles and databases, but it is no superuser.
      const role = pg.escapeIdentifier(admin.role);
      await query(
        server,
        `CREATE ROLE ${role} LOGIN CREATEROLE CREATEDB PASSWORD ${pg.escapeLiteral(admin.password)}`,
      );
      await query(server, `CREATE DATABASE ${pg.escapeIdentifier(admin.database)} OWNER ${role}`);
    });

    afterAll(async () => {
      for (const database of new Set(created.databases)) {
        await query(
          server,
          `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`,
        );
      }
      // The administrator last: it is a member of the roles it created.
      for (const role of [...new Set(created.roles)].reverse()) {
        await query(server, `DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
      }
    });

    it("gives each service a role that uses its own database and cannot connect to the other's", async () => {
      const users = setupEnv('users', "users' pw");
      const forum = setupEnv('forum', 'forum pw');

      const runs = await Promise.all([runDatabaseSetup(users), runDatabaseSetup(forum)]);

      for (const run of runs) expect(run.code, run.output).toBe(0);
      const usersAsUsers = await query(users.DATABASE_URL, 'SELECT count(*)::int AS n FROM users');
      const forumAsForum = await query(
        forum.DATABASE_URL,
        'SELECT count(*)::int AS n FROM threads',
      );
      expect(usersAsUsers.rows).toEqual([{ n: 0 }]);
      expect(forumAsForum.rows).toEqual([{ n: 0 }]);
      const usersIntoForum = urlAs(name('users'), "users' pw", name('forum'));
      const forumIntoUsers = urlAs(name('forum'), 'forum pw', name('users'));
      await expect(query(usersIntoForum, 'SELECT 1')).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/permission denied for database/),
      });
      await expect(query(forumIntoUsers, 'SELECT 1')).rejects.toMatchObject({
        code: '42501',
        message: expect.stringMatching(/permission denied for database/),
      });
    });

    it('changes nothing when run again, and applies a changed password', async () => {
      const before = setupEnv('slots', 'first password');
      const after = setupEnv('slots', 'second password');
      expect((await runDatabaseSetup(before)).code).toBe(0);
      await query(
        before.DATABASE_URL,
        `INSERT INTO wallets (user_id, username, balance) VALUES ('${crypto.randomUUID()}', 'ann', 5)`,
      );

      const again = await runDatabaseSetup(before);
      const changed = await runDatabaseSetup(after);

      expect(again.code, again.output).toBe(0);
      expect(appliedCount(again)).toBe(0);
      expect(changed.code, changed.output).toBe(0);
      const wallets = await query(after.DATABASE_URL, 'SELECT balance FROM wallets');
      expect(wallets.rows).toEqual([{ balance: 5 }]);
      await expect(query(before.DATABASE_URL, 'SELECT 1')).rejects.toMatchObject({
        code: '28P01',
      });
    });

    it('lets several tasks of one service set up the same database at once', async () => {
      const env = setupEnv('forum', 'race pw', 'racing');

      const runs = await Promise.all([1, 2, 3, 4].map(() => runDatabaseSetup(env)));

      for (const run of runs) expect(run.code, run.output).toBe(0);
      // Exactly one of them applied the migrations; the others found them applied.
      expect(runs.map(appliedCount).sort()).toEqual([0, 0, 0, migrationNames('forum').length]);
    });
  },
);
