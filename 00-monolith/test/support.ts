import { fileURLToPath } from 'node:url';
import {
  applyMigrations,
  type EmbeddedPostgres,
  startEmbeddedPostgres,
  startTestDatabase,
  type TestDatabase,
} from '@course/local';

export type { TestDatabase };

import { createLogger, type LoginThrottle, listen } from '@course/service-kit';
import type { RandomSource } from '@course/slot-machine';
import { afterAll, beforeAll } from 'vitest';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createDb, type Db } from '../src/db.ts';

export const monolithDir = fileURLToPath(new URL('..', import.meta.url));
export const schemaPath = `${monolithDir}prisma/schema.prisma`;
export const migrationsDir = `${monolithDir}prisma/migrations`;

/** A fresh, migrated embedded Postgres (in memory unless a dataDir is given). */
export async function startEmbeddedDatabase(
  opts: { dataDir?: string; port?: number } = {},
): Promise<EmbeddedPostgres> {
  const pg = await startEmbeddedPostgres(opts);
  await applyMigrations({ databaseUrl: pg.url, schemaPath, migrationsDir });
  return pg;
}

/** A fresh, migrated monolith database: on TEST_POSTGRES_URL's server if set, else embedded. */
export function startDatabase(): Promise<TestDatabase> {
  return startTestDatabase({ schemaPath, migrationsDir, name: 'monolith_test' });
}

export interface RunningMonolith {
  url: string;
  db: Db;
  close(): Promise<void>;
}

/** The real app on port 0 against the given database; rate limiting off for tests. */
export async function startMonolith(
  databaseUrl: string,
  opts: { rng?: RandomSource; loginThrottle?: LoginThrottle; env?: Record<string, string> } = {},
): Promise<RunningMonolith> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const log = createLogger({ service: 'monolith', level: config.LOG_LEVEL });
  const db = createDb(config.DATABASE_URL, config.DB_POOL_MAX);
  const app = await createApp({
    config,
    db,
    log,
    rng: opts.rng,
    loginThrottle: opts.loginThrottle,
  });
  const server = await listen(app, { port: 0, host: '127.0.0.1', log });
  return {
    url: server.url,
    db,
    async close() {
      await server.close();
      await db.$disconnect();
    },
  };
}

/**
 * The app on a fresh database for the tests of one file: both start before the first test and
 * stop after the last. Read `url` and `db` inside tests, not at the top level.
 */
export function monolithForThisFile(
  opts: Parameters<typeof startMonolith>[1] = {},
): Pick<RunningMonolith, 'url' | 'db'> {
  let database: TestDatabase | undefined;
  let app: RunningMonolith | undefined;
  beforeAll(async () => {
    database = await startDatabase();
    app = await startMonolith(database.url, opts);
  });
  afterAll(async () => {
    await app?.close();
    await database?.stop();
  });
  const running = (): RunningMonolith => {
    if (!app) throw new Error('the monolith starts in beforeAll: use it inside a test');
    return app;
  };
  return {
    get url() {
      return running().url;
    },
    get db() {
      return running().db;
    },
  };
}

/** Registers a fresh user and returns a bearer token for it. */
export async function signUp(baseUrl: string, username = `p${crypto.randomUUID().slice(0, 8)}`) {
  const credentials = { username, password: 'correct horse battery' };
  const created = await fetch(`${baseUrl}/api/users`, jsonPost(credentials));
  if (created.status !== 201) throw new Error(`register ${username}: ${created.status}`);
  const session = await fetch(`${baseUrl}/api/sessions`, jsonPost(credentials));
  const { token, user } = (await session.json()) as { token: string; user: { id: string } };
  return { username, token, id: user.id };
}

export function jsonPost(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
