import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RunningMonolith,
  startDatabase,
  startMonolith,
  type TestDatabase,
} from './support.ts';

let pg: TestDatabase;
let withoutBuild: RunningMonolith;
let withBuild: RunningMonolith;
let distDir: string;

beforeAll(async () => {
  pg = await startDatabase();
  distDir = await mkdtemp(join(tmpdir(), 'web-dist-'));
  await mkdir(join(distDir, 'assets'));
  await writeFile(join(distDir, 'index.html'), '<!doctype html><title>built app</title>');
  await writeFile(join(distDir, 'assets', 'index-abc123.js'), 'console.log("app")');
  withoutBuild = await startMonolith(pg.url, { env: { WEB_DIST_DIR: join(distDir, 'missing') } });
  withBuild = await startMonolith(pg.url, { env: { WEB_DIST_DIR: distDir } });
});

afterAll(async () => {
  await withoutBuild?.close();
  await withBuild?.close();
  await pg?.stop();
  await rm(distDir, { recursive: true, force: true });
});

const html = { headers: { accept: 'text/html' } };

describe('serving the web front end', () => {
  it('shows a placeholder page when the front end is not built', async () => {
    const res = await fetch(`${withoutBuild.url}/`, html);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('The monolith is running');
  });

  it('serves the built index.html for the root and for client-side routes, revalidated on every load', async () => {
    for (const path of ['/', '/forum/some-thread', '/leaderboard']) {
      const res = await fetch(`${withBuild.url}${path}`, html);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('built app');
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('caches content-hashed assets for a year', async () => {
    const res = await fetch(`${withBuild.url}/assets/index-abc123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('answers unknown API paths and missing assets with problem+json 404, never the page', async () => {
    for (const path of ['/api/nope', '/assets/missing.js']) {
      const res = await fetch(`${withBuild.url}${path}`, html);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });
});
