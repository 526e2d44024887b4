import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmbeddedPostgres, freePort, startEmbeddedPostgres } from '@course/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAppBundle } from '../cdk/app-bundle.ts';

// The folder an EC2 instance runs, built exactly as `pnpm synth` builds it, then run here with
// the local Node (the bundles are plain JavaScript) against an embedded Postgres.
let bundleDir: string;
let database: EmbeddedPostgres;
let server: ChildProcess | undefined;
let baseUrl: string;

beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'monolith-bundle-'));
  buildAppBundle(bundleDir);
  database = await startEmbeddedPostgres();
}, 120_000);

afterAll(async () => {
  server?.kill('SIGTERM');
  await database?.stop();
  rmSync(bundleDir, { recursive: true, force: true });
});

/** Runs a bundled script to completion; the event loop stays free for the embedded Postgres. */
function runScript(script: string, env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(bundleDir, script)], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('exit', resolve);
  });
}

async function waitUntilReady(url: string, deadline = Date.now() + 20_000): Promise<Response> {
  try {
    return await fetch(`${url}/readyz`);
  } catch (error) {
    if (Date.now() > deadline) throw error;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return waitUntilReady(url, deadline);
  }
}

describe('the EC2 app bundle', () => {
  it('holds the bundles, the schema engine, the migrations and an ARM64 Node runtime', () => {
    for (const file of [
      'server.mjs',
      'migrate.mjs',
      'write-environment.mjs',
      'node_modules/@prisma/schema-engine-wasm/schema_engine_bg.wasm',
      'prisma/schema.prisma',
      'prisma/migrations/migration_lock.toml',
    ]) {
      expect(existsSync(join(bundleDir, file)), file).toBe(true);
    }
    // ELF header: e_machine (bytes 18-19, little endian) is 0xB7 for AArch64.
    const header = Buffer.alloc(20);
    readSync(openSync(join(bundleDir, 'node/bin/node'), 'r'), header, 0, 20, 0);
    expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(header.readUInt16LE(18)).toBe(0xb7);
  });

  it('migrates an empty database with the bundled migrate script, twice in a row', async () => {
    const env = { DATABASE_URL: database.url, LOG_LEVEL: 'silent' };

    expect(await runScript('migrate.mjs', env)).toBe(0);
    expect(await runScript('migrate.mjs', env)).toBe(0);
  }, 60_000);

  it('serves /readyz and the API from the bundled server', async () => {
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, [join(bundleDir, 'server.mjs')], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: database.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        WEB_DIST_DIR: join(bundleDir, 'web'),
      },
      stdio: 'ignore',
    });

    const ready = await waitUntilReady(baseUrl);
    const machine = await fetch(`${baseUrl}/api/slots/machine`);

    expect(ready.status).toBe(200);
    expect(machine.status).toBe(200);
    expect(await machine.json()).toMatchObject({ symbols: expect.any(Array) });
  }, 30_000);
});
