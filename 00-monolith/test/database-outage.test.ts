import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '@course/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonPost, type RunningMonolith, startEmbeddedDatabase, startMonolith } from './support.ts';

let dataDir: string;
// Embedded on purpose: the test stops and restarts the database server itself.
let pg: Awaited<ReturnType<typeof startEmbeddedDatabase>>;
let app: RunningMonolith;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'monolith-outage-'));
  pg = await startEmbeddedDatabase({ dataDir });
  app = await startMonolith(pg.url);
});

afterAll(async () => {
  await app?.close();
  await pg?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

function logIn(username: string) {
  return fetch(`${app.url}/api/sessions`, jsonPost({ username, password: 'some password' }));
}

describe('when the database goes away', () => {
  it('reports not ready, answers 503 problem+json, stays alive, and recovers when the database returns', async () => {
    // Arrange
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    const port = pg.port;

    // Act: the database disappears.
    await pg.stop();

    // Assert
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const threads = await fetch(`${app.url}/api/threads`);
    expect(threads.status).toBe(503);
    expect(((await threads.json()) as { status: number }).status).toBe(503);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    // A log-in the database could not check is no failed guess: six in a row are not throttled.
    const logIns = [];
    for (let i = 0; i < 6; i++) logIns.push((await logIn('outage_player')).status);
    expect(logIns).toEqual([503, 503, 503, 503, 503, 503]);

    // Act: it comes back on the same address with the same data.
    pg = await startEmbeddedPostgres({ dataDir, port });

    // Assert: no restart of the app needed.
    expect(await waitFor(async () => (await fetch(`${app.url}/readyz`)).status === 200)).toBe(true);
    expect((await fetch(`${app.url}/api/threads`)).status).toBe(200);
    expect((await logIn('outage_player')).status).toBe(401);
  });
});
