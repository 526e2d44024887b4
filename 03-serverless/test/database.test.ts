import stage02 from '@course/containers/stage';
import { startTestDatabase, type TestDatabase } from '@course/local';
import { problemFor } from '@course/service-kit/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSlotsDatabase, poolConfig, STATEMENT_TIMEOUT_MS } from '../src/slots/database.ts';

/*
 * The one connection of an execution environment, on a real PostgreSQL server: what happens when
 * the server closes it or a statement runs too long. (Embedded Postgres has no backends to
 * terminate and no statement_timeout, so without TEST_POSTGRES_URL this file is skipped.)
 */

const serverUrl = process.env.TEST_POSTGRES_URL;

describe('the database pool of an execution environment', () => {
  it('keeps its one connection between events and asks TCP to watch it', () => {
    const config = poolConfig({ kind: 'url', url: 'postgres://u:p@db:5432/slots' });

    // pg's pool would close an idle connection after 10 s: a pause between events.
    expect(config).toMatchObject({ max: 1, idleTimeoutMillis: 0, keepAlive: true });
    expect(config.statement_timeout).toBe(STATEMENT_TIMEOUT_MS);
  });
});

describe.skipIf(!serverUrl)('the database pool on real PostgreSQL', () => {
  let database: TestDatabase;
  let db: ReturnType<typeof connectSlotsDatabase>;
  let admin: pg.Client;

  beforeAll(async () => {
    const slots = stage02.databases.find((candidate) => candidate.name === 'slots');
    if (!slots) throw new Error('stage 02 has no slots database');
    database = await startTestDatabase({ ...slots, name: 'slots_pool_test' });
    db = connectSlotsDatabase({ kind: 'url', url: database.url });
    admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
  }, 60_000);
  afterAll(async () => {
    await db?.$disconnect();
    await admin?.end();
    await database?.stop();
  });

  const backendPid = async () => {
    const [row] = await db.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    return row?.pid;
  };

  it('uses the same connection for consecutive events', async () => {
    const first = await backendPid();
    const second = await backendPid();

    expect(second).toBe(first);
  });

  it('opens a new connection for the next event after the server closed it', async () => {
    // Arrange: the server ends the environment's idle connection, as a restart would.
    const before = await backendPid();
    await admin.query('SELECT pg_terminate_backend($1)', [before]);

    // Act: the event that meets the dead connection (unless the pool saw it die first), then the next.
    const meeting = await backendPid().catch((err: unknown) => err);
    const next = await backendPid();

    // Assert: a 503 at worst (the client retries), then a new connection.
    if (typeof meeting !== 'number') expect(problemFor(meeting, '/').status).toBe(503);
    expect(next).toEqual(expect.any(Number));
    expect(next).not.toBe(before);
  });

  it('answers a 503, not a 500, for an event whose connection the server closes mid-query', async () => {
    const pid = await backendPid();
    const query = db.$queryRaw`SELECT pg_sleep(2)`.catch((err: unknown) => err);
    await waitUntilActive(admin, pid);

    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    const error = await query;

    expect(problemFor(error, '/api/slots/spins').status).toBe(503);
    expect(await backendPid()).not.toBe(pid);
  });

  it('ends a statement that runs past statement_timeout on the server, as a 503', async () => {
    const started = performance.now();

    const error = await db.$queryRaw`SELECT pg_sleep(10)`.catch((err: unknown) => err);

    expect(performance.now() - started).toBeLessThan(STATEMENT_TIMEOUT_MS + 2_000);
    expect(problemFor(error, '/api/slots/spins').status).toBe(503);
  }, 15_000);
});

/** Waits until the backend `pid` runs a statement (so terminating it interrupts the query). */
async function waitUntilActive(admin: pg.Client, pid: number | undefined): Promise<void> {
  for (let tries = 0; tries < 50; tries++) {
    const { rows } = await admin.query<{ state: string }>(
      'SELECT state FROM pg_stat_activity WHERE pid = $1',
      [pid],
    );
    if (rows[0]?.state === 'active') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`backend ${pid} never became active`);
}
