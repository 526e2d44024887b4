import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, createMigration } from '../src/migrate.ts';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../src/postgres.ts';
import { PrismaClient } from './fixtures/notes/src/generated/prisma/client.ts';

const run = promisify(execFile);
const fixture = join(import.meta.dirname, 'fixtures', 'notes');
const fixtureSchema = join(fixture, 'prisma', 'schema.prisma');
const fixtureMigrations = join(fixture, 'prisma', 'migrations');
const cli = join(import.meta.dirname, '..', 'src', 'cli', 'prisma.ts');
const tsx = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.bin', 'tsx');

/** A scratch copy of the fixture's prisma/ folder, to edit freely. */
function copyOfFixture(): { dir: string; schemaPath: string; migrationsDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'course-local-prisma-'));
  cpSync(join(fixture, 'prisma'), dir, { recursive: true });
  return { dir, schemaPath: join(dir, 'schema.prisma'), migrationsDir: join(dir, 'migrations') };
}

function onlyMigrationFolder(migrationsDir: string): string {
  const [folder] = readdirSync(migrationsDir).filter((name) => name !== 'migration_lock.toml');
  if (folder === undefined) throw new Error(`no migration in ${migrationsDir}`);
  return folder;
}

describe('migrations and a generated Prisma client over embedded Postgres', () => {
  let db: EmbeddedPostgres;
  let prisma: InstanceType<typeof PrismaClient>;
  let firstRun: { applied: string[] };

  beforeAll(async () => {
    db = await startEmbeddedPostgres();
    const paths = { schemaPath: fixtureSchema, migrationsDir: fixtureMigrations };
    firstRun = await applyMigrations({ databaseUrl: db.url, ...paths });
    prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url, max: 8 }) });
  });

  afterAll(async () => {
    await prisma.$disconnect();
    await db.stop();
  });

  it('records applied migrations in _prisma_migrations like prisma migrate deploy', async () => {
    const folder = onlyMigrationFolder(fixtureMigrations);
    const script = readFileSync(join(fixtureMigrations, folder, 'migration.sql'));
    const client = new pg.Client(db.url);
    await client.connect();
    const { rows } = await client
      .query(
        'SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM _prisma_migrations',
      )
      .finally(() => client.end());

    expect(firstRun.applied).toEqual([folder]);
    expect(rows).toEqual([
      {
        migration_name: folder,
        checksum: createHash('sha256').update(script).digest('hex'),
        finished_at: expect.any(Date),
        rolled_back_at: null,
        applied_steps_count: 1,
      },
    ]);
  });

  it('applies nothing the second time', async () => {
    const secondRun = await applyMigrations({
      databaseUrl: db.url,
      schemaPath: fixtureSchema,
      migrationsDir: fixtureMigrations,
    });

    expect(secondRun.applied).toEqual([]);
  });

  it('round-trips a row through the generated client and @prisma/adapter-pg', async () => {
    const created = await prisma.note.create({ data: { text: 'hello' } });

    const found = await prisma.note.findUnique({ where: { id: created.id } });

    expect(found).toEqual({ id: created.id, text: 'hello', createdAt: expect.any(Date) });
  });

  it('runs concurrent interactive transactions without losing a write', async () => {
    const tag = 'tx';
    const appendNumbered = () =>
      prisma.$transaction(async (tx) => {
        const count = await tx.note.count({ where: { text: { startsWith: tag } } });
        await tx.note.create({ data: { text: `${tag}${count + 1}` } });
      });

    await Promise.all(Array.from({ length: 20 }, appendNumbered));

    const notes = await prisma.note.findMany({ where: { text: { startsWith: tag } } });
    const texts = notes.map((note) => note.text).sort();
    expect(texts).toEqual(Array.from({ length: 20 }, (_, i) => `${tag}${i + 1}`).sort());
  });

  it('rolls back an interactive transaction that throws', async () => {
    const failing = prisma.$transaction(async (tx) => {
      await tx.note.create({ data: { text: 'never committed' } });
      throw new Error('changed my mind');
    });

    await expect(failing).rejects.toThrow('changed my mind');
    expect(await prisma.note.count({ where: { text: 'never committed' } })).toBe(0);
  });
});

describe('migration safety', () => {
  const scratch: string[] = [];
  afterAll(() => {
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to run when an applied migration was edited', async () => {
    const copy = copyOfFixture();
    scratch.push(copy.dir);
    const db = await startEmbeddedPostgres();
    try {
      await applyMigrations({ databaseUrl: db.url, ...copy });
      const sql = join(
        copy.migrationsDir,
        onlyMigrationFolder(copy.migrationsDir),
        'migration.sql',
      );
      writeFileSync(sql, `${readFileSync(sql, 'utf8')}\n-- an innocent-looking edit\n`);

      await expect(applyMigrations({ databaseUrl: db.url, ...copy })).rejects.toThrow(
        /changed after it was applied/,
      );
    } finally {
      await db.stop();
    }
  });

  it('creates a migration for a schema change and nothing when there is none', async () => {
    const copy = copyOfFixture();
    scratch.push(copy.dir);
    const db = await startEmbeddedPostgres();
    try {
      const unchanged = await createMigration({ ...copy, databaseUrl: db.url, name: 'noop' });
      const schema = readFileSync(copy.schemaPath, 'utf8');
      writeFileSync(
        copy.schemaPath,
        schema.replace('text      String', 'text String\n  pinned Boolean @default(false)'),
      );

      const changed = await createMigration({ ...copy, databaseUrl: db.url, name: 'add pinned' });
      const applied = await applyMigrations({ databaseUrl: db.url, ...copy });

      expect(unchanged.folder).toBeNull();
      expect(changed.folder).toMatch(/\/\d{14}_add_pinned$/);
      const sql = readFileSync(join(changed.folder ?? '', 'migration.sql'), 'utf8');
      expect(sql).toContain('ADD COLUMN     "pinned" BOOLEAN NOT NULL DEFAULT false');
      expect(applied.applied).toHaveLength(2);
    } finally {
      await db.stop();
    }
  });
});

describe('course-prisma CLI', () => {
  it('generates a Prisma client offline, without the native schema engine', async () => {
    const copy = copyOfFixture();
    const output = join(copy.dir, 'generated');
    const schema = readFileSync(copy.schemaPath, 'utf8');
    writeFileSync(copy.schemaPath, schema.replace('../src/generated/prisma', output));
    const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '' };

    try {
      await run(tsx, [cli, 'generate', '--schema', copy.schemaPath], { env, cwd: copy.dir });

      expect(existsSync(join(output, 'client.ts'))).toBe(true);
    } finally {
      rmSync(copy.dir, { recursive: true, force: true });
    }
  });

  it('applies migrations to DATABASE_URL with migrate deploy', async () => {
    const db = await startEmbeddedPostgres();
    try {
      const env = { ...process.env, DATABASE_URL: db.url };
      const { stdout } = await run(tsx, [cli, 'migrate', 'deploy'], { env, cwd: fixture });

      expect(stdout).toContain(
        `Applied 1 migration(s):\n  ${onlyMigrationFolder(fixtureMigrations)}`,
      );
    } finally {
      await db.stop();
    }
  });
});
