import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type EmbeddedPostgres,
  freePort,
  startEmbeddedPostgres,
  startTestDatabase,
  type TestDatabase,
} from '@course/local';
import { monolithDatabase } from '@course/monolith/stage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSlotsBundle } from '../cdk/app-bundle.ts';

// The folder the slots instances run, built exactly as `pnpm synth` builds it, then run here with
// the local Node (the bundles are plain JavaScript) against embedded Postgres databases: an empty
// one for the slots service, and a migrated monolith database for the wallet CLI.
let bundleDir: string;
let slotsDatabase: EmbeddedPostgres;
let monolithDb: TestDatabase;
let server: ChildProcess | undefined;

beforeAll(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'slots-bundle-'));
  buildSlotsBundle(bundleDir);
  slotsDatabase = await startEmbeddedPostgres();
  monolithDb = await startTestDatabase({ ...monolithDatabase, name: 'monolith_bundle_test' });
}, 120_000);

afterAll(async () => {
  server?.kill('SIGTERM');
  await slotsDatabase?.stop();
  await monolithDb?.stop();
  rmSync(bundleDir, { recursive: true, force: true });
});

/** Runs a bundled script to completion; the event loop stays free for the embedded Postgres. */
function runScript(
  script: string,
  args: string[],
  env: Record<string, string>,
): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(bundleDir, script), ...args], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
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

describe('the slots service bundle for EC2', () => {
  it('holds the service, the wallet CLI, the migrations and a Node runtime, and no web', () => {
    for (const file of [
      'server.mjs',
      'wallets.mjs',
      'migrate.mjs',
      'write-environment.mjs',
      'node_modules/@prisma/schema-engine-wasm/schema_engine_bg.wasm',
      'prisma/schema.prisma',
      'prisma/migrations/migration_lock.toml',
      'node/bin/node',
    ]) {
      expect(existsSync(join(bundleDir, file)), file).toBe(true);
    }
    expect(existsSync(join(bundleDir, 'web'))).toBe(false);
  });

  it('writes the environment file from the secrets, pointing at the CA bundle beside it', () => {
    const secretsDir = mkdtempSync(join(tmpdir(), 'slots-secrets-'));
    for (const name of ['database', 'monolith-database']) {
      const secret = { username: 'u', password: 'p', host: `${name}.rds`, port: 5432, dbname: 'd' };
      writeFileSync(join(secretsDir, `${name}.json`), JSON.stringify(secret));
    }

    const file = execFileSync(
      process.execPath,
      [join(bundleDir, 'write-environment.mjs'), secretsDir],
      {
        encoding: 'utf8',
      },
    );
    rmSync(secretsDir, { recursive: true });

    const lines = file.trim().split('\n');
    expect(lines.map((line) => line.split('=')[0])).toEqual([
      'DATABASE_URL',
      'MONOLITH_DATABASE_URL',
    ]);
    const [slotsUrl, monolithUrl] = lines.map(
      (line) => new URL(line.replace(/^\w+='(.*)'$/, '$1')),
    );
    expect(slotsUrl?.hostname).toBe('database.rds');
    expect(monolithUrl?.hostname).toBe('monolith-database.rds');
    expect(slotsUrl?.searchParams.get('sslrootcert')).toBe(join(bundleDir, 'rds-ca.pem'));
  });

  it('migrates an empty slots database with the bundled migrate script, twice in a row', async () => {
    const env = { DATABASE_URL: slotsDatabase.url };

    expect(await runScript('migrate.mjs', [], env)).toBe(0);
    expect(await runScript('migrate.mjs', [], env)).toBe(0);
  }, 60_000);

  it('runs the wallet CLI against both databases, as the handoff lab does', async () => {
    const env = { DATABASE_URL: slotsDatabase.url, MONOLITH_DATABASE_URL: monolithDb.url };

    // No wallet anywhere yet: every wallet matches.
    expect(await runScript('wallets.mjs', ['verify'], env)).toBe(0);
    expect(await runScript('wallets.mjs', ['no-such-command'], env)).toBe(2);
  }, 60_000);

  it('serves /readyz and the slot machine from the bundled server, as slots@01', async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    server = spawn(process.execPath, [join(bundleDir, 'server.mjs')], {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: slotsDatabase.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        STAGE: '01',
        LOG_LEVEL: 'silent',
        // Only read when a token arrives; nothing listens there in this test.
        JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
      },
      stdio: 'ignore',
    });

    const ready = await waitUntilReady(baseUrl);
    const machine = await fetch(`${baseUrl}/api/slots/machine`);

    expect(ready.status).toBe(200);
    expect(machine.status).toBe(200);
    expect(machine.headers.get('x-served-by')).toBe('slots@01 (process)');
  }, 30_000);
});
