import pg from 'pg';
import { applyMigrations } from './migrate.ts';
import { startEmbeddedPostgres } from './postgres.ts';

export interface TestDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface TestDatabaseOptions {
  schemaPath: string;
  migrationsDir: string;
  /** Prefix of the database's name on a real server, e.g. "slots_test". */
  name?: string;
  /** A real PostgreSQL server to create the database on; TEST_POSTGRES_URL by default. */
  serverUrl?: string;
}

/**
 * A fresh, migrated database for one test file. With TEST_POSTGRES_URL set (CI sets it), a new
 * database on that real PostgreSQL server: PGlite runs one transaction at a time, so only a
 * real server can show a race such as a lost update. Otherwise an embedded, in-memory one.
 */
export async function startTestDatabase(opts: TestDatabaseOptions): Promise<TestDatabase> {
  const { schemaPath, migrationsDir } = opts;
  const server = opts.serverUrl ?? process.env.TEST_POSTGRES_URL;
  if (!server) {
    const embedded = await startEmbeddedPostgres();
    await applyMigrations({ databaseUrl: embedded.url, schemaPath, migrationsDir });
    return embedded;
  }

  const name = `${opts.name ?? 'test'}_${crypto.randomUUID().replaceAll('-', '')}`;
  await onServer(server, `CREATE DATABASE "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  await applyMigrations({ databaseUrl: url.href, schemaPath, migrationsDir });
  return { url: url.href, stop: () => onServer(server, `DROP DATABASE "${name}" WITH (FORCE)`) };
}

async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
