import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICES, type Service } from '../src/services.ts';
import { appliedCount, migrationNames, query, runProgram, urlAs as urlAsOn } from './programs.ts';

const serverUrl = process.env.TEST_POSTGRES_URL;

describe('database provisioning: its configuration', () => {
  it('exits 1 listing every missing variable at once, with no stack trace', async () => {
    const run = await runProgram('database-provisioning', {});

    expect(run.code).toBe(1);
    expect(run.lines).toHaveLength(1);
    for (const variable of [
      'DATABASE_ADMIN_URL',
      'USERS_DATABASE_URL',
      'FORUM_DATABASE_URL',
      'SLOTS_DATABASE_URL',
    ]) {
      expect(run.lines[0]?.msg).toMatch(new RegExp(`^\\s+${variable}: `, 'm'));
    }
    expect(run.output).not.toMatch(/\n\s+at /);
  });

  it("refuses the administrator's own role or database, and a role or database two services share", async () => {
    const run = await runProgram('database-provisioning', {
      DATABASE_ADMIN_URL: 'postgresql://master:secret@127.0.0.1:1/app',
      USERS_DATABASE_URL: 'postgresql://master:other@127.0.0.1:1/app',
      FORUM_DATABASE_URL: 'postgresql://forum:pw@127.0.0.1:1/forum',
      SLOTS_DATABASE_URL: 'postgresql://forum:pw@127.0.0.1:1/forum',
    });

    expect(run.code).toBe(1);
    const message = run.lines[0]?.msg ?? '';
    expect(message).toMatch(
      /USERS_DATABASE_URL: the service's role must not be the administrator's/,
    );
    expect(message).toMatch(
      /USERS_DATABASE_URL: the service's database must not be the administrator's/,
    );
    expect(message).toMatch(/SLOTS_DATABASE_URL: the service's role is also forum's/);
    expect(message).toMatch(/SLOTS_DATABASE_URL: the service's database is also forum's/);
    expect(message).not.toContain('secret');
  });

  it('names a malformed service secret without echoing it', async () => {
    const run = await runProgram('database-provisioning', {
      FORUM_DATABASE_SECRET: '{"username":"forum","password":"hunter2",',
    });

    expect(run.code).toBe(1);
    expect(run.lines[0]?.msg).toMatch(
      /FORUM_DATABASE_SECRET: expected the JSON of a database secret/,
    );
    expect(run.output).not.toContain('hunter2');
  });
});

// Roles and database privileges are what PGlite cannot show: CI starts PostgreSQL and sets
// TEST_POSTGRES_URL; locally `pg_ctlcluster 15 main start` and export it.
describe.runIf(serverUrl)('database provisioning on a shared PostgreSQL server', () => {
  const server = serverUrl ?? '';
  // Unique per run, and with a character that needs quoting in SQL.
  const suffix = crypto.randomUUID().slice(0, 8);
  const admin = { role: `admin-${suffix}`, password: "adm'n pw", database: `admin-${suffix}` };
  const created = { roles: [admin.role], databases: [admin.database] };

  /** A URL to the test server as `role` into `database`. */
  const urlAs = (role: string, password: string, database: string) =>
    urlAsOn(server, role, password, database);

  /**
   * One deployment's services: each a role and a database named `<service>-<tag>-<run>`, with a
   * password that needs escaping; the provisioning's environment; each service's own URL.
   */
  function deployment(tag: string, passwords: Partial<Record<Service, string>> = {}) {
    const name = (service: Service) => `${service}-${tag}-${suffix}`;
    const password = (service: Service) => passwords[service] ?? `${service}'s pw %/@`;
    const urls = Object.fromEntries(
      SERVICES.map((service) => [service, urlAs(name(service), password(service), name(service))]),
    ) as Record<Service, string>;
    for (const service of SERVICES) {
      created.roles.push(name(service));
      created.databases.push(name(service));
    }
    const provisioningEnv = {
      DATABASE_ADMIN_URL: urlAs(admin.role, admin.password, admin.database),
      USERS_DATABASE_URL: urls.users,
      FORUM_DATABASE_URL: urls.forum,
      SLOTS_DATABASE_URL: urls.slots,
    };
    const setupEnv = (service: Service) => ({ SERVICE: service, DATABASE_URL: urls[service] });
    return { name, password, urls, provisioningEnv, setupEnv };
  }

  /** What the server says about the roles and databases: attributes, owners, privileges. */
  async function catalogOf(names: string[]) {
    const roles = await query(
      server,
      `SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, rolinherit
         FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname`,
      [names],
    );
    const databases = await query(
      server,
      `SELECT datname, pg_get_userbyid(datdba) AS owner, datacl::text AS acl
         FROM pg_database WHERE datname = ANY($1) ORDER BY datname`,
      [names],
    );
    return { roles: roles.rows, databases: databases.rows };
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
      await query(server, `DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
    }
    // The administrator last: it is a member of the roles it created.
    for (const role of [...new Set(created.roles)].reverse()) {
      await query(server, `DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
    }
  });

  it("gives each service a role that migrates and uses its own database, and cannot connect to another's", async () => {
    const lab = deployment('isolated');

    const provisioned = await runProgram('database-provisioning', lab.provisioningEnv);
    // The services' own setup: their own credentials, no administrator.
    const setups = await Promise.all(
      SERVICES.map((service) => runProgram('database-setup', lab.setupEnv(service))),
    );

    expect(provisioned.code, provisioned.output).toBe(0);
    SERVICES.forEach((service, index) => {
      const setup = setups[index];
      expect(setup?.code, setup?.output).toBe(0);
      expect(setup && appliedCount(setup), service).toBe(migrationNames(service).length);
    });
    expect((await query(lab.urls.users, 'SELECT count(*)::int AS n FROM users')).rows).toEqual([
      { n: 0 },
    ]);
    expect((await query(lab.urls.forum, 'SELECT count(*)::int AS n FROM threads')).rows).toEqual([
      { n: 0 },
    ]);
    expect((await query(lab.urls.slots, 'SELECT count(*)::int AS n FROM wallets')).rows).toEqual([
      { n: 0 },
    ]);
    for (const service of SERVICES) {
      for (const other of SERVICES.filter((s) => s !== service)) {
        const intoOther = urlAs(lab.name(service), lab.password(service), lab.name(other));
        await expect(query(intoOther, 'SELECT 1'), `${service} -> ${other}`).rejects.toMatchObject({
          code: '42501',
          message: expect.stringMatching(/permission denied for database/),
        });
      }
    }
    // A service's credentials open its own database, and no door to the server's others.
    const { roles } = await catalogOf(SERVICES.map(lab.name));
    for (const role of roles) {
      expect(role).toMatchObject({ rolsuper: false, rolcreaterole: false, rolcreatedb: false });
    }
  });

  it('changes nothing when run again: roles, owners, privileges, data and passwords stay', async () => {
    const lab = deployment('again');
    expect((await runProgram('database-provisioning', lab.provisioningEnv)).code).toBe(0);
    expect((await runProgram('database-setup', lab.setupEnv('slots'))).code).toBe(0);
    await query(
      lab.urls.slots,
      `INSERT INTO wallets (user_id, username, balance) VALUES ('${crypto.randomUUID()}', 'ann', 5)`,
    );
    const before = await catalogOf(SERVICES.map(lab.name));

    const again = await runProgram('database-provisioning', lab.provisioningEnv);

    expect(again.code, again.output).toBe(0);
    expect(again.lines.map((line) => line.msg)).not.toContain('role created');
    expect(again.lines.map((line) => line.msg)).not.toContain('database created');
    expect(await catalogOf(SERVICES.map(lab.name))).toEqual(before);
    expect(before.databases).toHaveLength(SERVICES.length);
    for (const service of SERVICES) {
      expect((await query(lab.urls[service], 'SELECT 1 AS ok')).rows, service).toEqual([{ ok: 1 }]);
    }
    expect((await query(lab.urls.slots, 'SELECT balance FROM wallets')).rows).toEqual([
      { balance: 5 },
    ]);
  });

  it("applies a service's changed password, and the old one stops working", async () => {
    const before = deployment('rotated');
    const after = deployment('rotated', { slots: 'a new password' });
    expect((await runProgram('database-provisioning', before.provisioningEnv)).code).toBe(0);

    const changed = await runProgram('database-provisioning', after.provisioningEnv);

    expect(changed.code, changed.output).toBe(0);
    expect((await query(after.urls.slots, 'SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    await expect(query(before.urls.slots, 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
  });

  it('lets several tasks of one service migrate its database at once', async () => {
    const lab = deployment('racing');
    expect((await runProgram('database-provisioning', lab.provisioningEnv)).code).toBe(0);

    const runs = await Promise.all(
      [1, 2, 3, 4].map(() => runProgram('database-setup', lab.setupEnv('forum'))),
    );

    for (const run of runs) expect(run.code, run.output).toBe(0);
    // Exactly one of them applied the migrations; the others found them applied.
    expect(runs.map(appliedCount).sort()).toEqual([0, 0, 0, migrationNames('forum').length]);
  });
});
