import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../src/postgres.ts';

const PENDING = Symbol('pending');

/** Resolves to PENDING if the promise has not settled within `ms`. */
function settledWithin<T>(promise: Promise<T>, ms: number): Promise<T | typeof PENDING> {
  return Promise.race([promise, new Promise<typeof PENDING>((r) => setTimeout(r, ms, PENDING))]);
}

function newPool(url: string, max = 8): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => {}); // idle clients see the server go away when a test stops it
  return pool;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('embedded Postgres shared by pooled connections', () => {
  let db: EmbeddedPostgres;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await startEmbeddedPostgres();
    pool = newPool(db.url);
    await pool.query('CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)');
    await pool.query('CREATE TABLE note (id serial PRIMARY KEY, text text NOT NULL)');
  });

  afterAll(async () => {
    await pool.end();
    await db.stop();
  });

  it('hides a connection’s uncommitted writes from other connections', async () => {
    const writer = await pool.connect();
    const reader = await pool.connect();
    try {
      await writer.query('BEGIN');
      await writer.query("INSERT INTO note (text) VALUES ('draft')");

      const read = reader.query('SELECT count(*)::int AS n FROM note');
      const whileOpen = await settledWithin(read, 300);
      await writer.query('ROLLBACK');
      const afterRollback = await read;

      expect(whileOpen).toBe(PENDING); // the reader waits for the transaction to end
      expect(afterRollback.rows[0].n).toBe(0);
    } finally {
      writer.release();
      reader.release();
    }
  });

  it('shows committed writes to other connections', async () => {
    const writer = await pool.connect();
    try {
      await writer.query('BEGIN');
      await writer.query("INSERT INTO note (text) VALUES ('kept')");
      await writer.query('COMMIT');
    } finally {
      writer.release();
    }

    const { rows } = await pool.query("SELECT count(*)::int AS n FROM note WHERE text = 'kept'");

    expect(rows[0].n).toBe(1);
  });

  it('loses no update when a pool of 8 increments one row concurrently', async () => {
    await pool.query('INSERT INTO counter (id, n) VALUES (1, 0)');

    await Promise.all(
      Array.from({ length: 200 }, () => pool.query('UPDATE counter SET n = n + 1 WHERE id = 1')),
    );

    const { rows } = await pool.query('SELECT n FROM counter WHERE id = 1');
    expect(rows[0].n).toBe(200);
  });

  it('loses no update in concurrent read-modify-write transactions', async () => {
    await pool.query('INSERT INTO counter (id, n) VALUES (2, 0)');
    const increment = async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { rows } = await client.query('SELECT n FROM counter WHERE id = 2');
        await client.query('UPDATE counter SET n = $1 WHERE id = 2', [rows[0].n + 1]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    };

    await Promise.all(Array.from({ length: 50 }, increment));

    const { rows } = await pool.query('SELECT n FROM counter WHERE id = 2');
    expect(rows[0].n).toBe(50);
  });

  it('never mixes the protocol messages of concurrent parameterised queries', async () => {
    // Big parameters arrive in several TCP packets: the case where a naive server interleaves.
    const big = 'x'.repeat(300_000);
    const queries = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0
        ? pool.query('SELECT length($1::text) AS len, $2::int AS i', [big, i])
        : pool.query("SELECT $1::text || '!' AS s", [String(i)]),
    );

    const results = await Promise.all(queries);

    results.forEach((result, i) => {
      expect(result.rows[0]).toEqual(i % 2 === 0 ? { len: big.length, i } : { s: `${i}!` });
    });
  });

  it('keeps prepared statements with the same name apart on different connections', async () => {
    const queries = Array.from({ length: 16 }, (_, i) =>
      pool.query({
        name: 'same-name',
        text: i % 2 === 0 ? 'SELECT $1::int + 1 AS v' : "SELECT $1::text || '?' AS v",
        values: [i],
      }),
    );

    const values = (await Promise.all(queries)).map((result) => result.rows[0].v);

    expect(values).toEqual(Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? i + 1 : `${i}?`)));
  });

  it('rolls back the transaction of a client that disconnects and serves the others', async () => {
    const quitter = new pg.Client(db.url);
    quitter.on('error', () => {});
    await quitter.connect();
    await quitter.query('BEGIN');
    await quitter.query("INSERT INTO note (text) VALUES ('abandoned')");

    const read = pool.query("SELECT count(*)::int AS n FROM note WHERE text = 'abandoned'");
    await quitter.end();

    expect((await read).rows[0].n).toBe(0);
  });
});

describe('embedded Postgres with a data directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'course-local-pg-'));
  const dataDir = join(root, 'db');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('keeps the data and the port across stop() and a new start', async () => {
    const first = await startEmbeddedPostgres({ dataDir });
    const pool = newPool(first.url, 2);
    await pool.query('CREATE TABLE survivor (name text)');
    await pool.query("INSERT INTO survivor VALUES ('still here')");
    await first.stop();
    const freeAfterStop = await portIsFree(first.port);

    const second = await startEmbeddedPostgres({ dataDir, port: first.port });
    try {
      const { rows } = await pool.query('SELECT name FROM survivor');

      expect(freeAfterStop).toBe(true);
      expect(second.url).toBe(first.url);
      expect(rows).toEqual([{ name: 'still here' }]);
    } finally {
      await pool.end();
      await second.stop();
    }
  });

  it('refuses to open a data directory that is already open', async () => {
    const open = await startEmbeddedPostgres({ dataDir });
    try {
      await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/already open/);
    } finally {
      await open.stop();
    }
  });
});
