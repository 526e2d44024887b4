import { type EmbeddedPostgres, startEmbeddedPostgres } from '@course/local';
import { afterEach, describe, expect, it } from 'vitest';
import { appliedCount, migrationNames, query, runProgram } from './programs.ts';

// On a real server, after the provisioning, see database-provisioning.test.ts.
describe('database setup (a service migrating its own database)', () => {
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

      const first = await runProgram('database-setup', env);
      const second = await runProgram('database-setup', env);

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
    const run = await runProgram('database-setup', {});

    expect(run.code).toBe(1);
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]?.level).toBe('fatal');
    expect(run.lines[0]?.msg).toMatch(/^\s+SERVICE: /m);
    expect(run.lines[0]?.msg).toMatch(/^\s+DATABASE_URL: /m);
    expect(run.output).not.toMatch(/\n\s+at /);
  });

  it('names a malformed database secret without echoing it', async () => {
    const run = await runProgram('database-setup', {
      SERVICE: 'users',
      DATABASE_SECRET: '{"username":"users","password":"hunter2",',
    });

    expect(run.code).toBe(1);
    expect(run.lines[0]?.msg).toMatch(/DATABASE_SECRET: expected the JSON of a database secret/);
    expect(run.output).not.toContain('hunter2');
  });
});
