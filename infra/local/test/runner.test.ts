import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/free-port.ts';
import { startEmbeddedPostgres } from '../src/postgres.ts';
import { resetStageData, startStage } from '../src/runner.ts';
import type { ProcessDefinition, StageDefinition } from '../src/stage.ts';
import { workspaceBinDir } from '../src/workspace.ts';
import fixtureStage from './fixtures/stage/stage.ts';

const scratch = mkdtempSync(join(tmpdir(), 'course-local-runner-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The fixture stage with its web process's environment extended. */
function fixtureWith(extraEnv: Record<string, string>): StageDefinition {
  const [web] = fixtureStage.processes;
  if (web === undefined) throw new Error('the fixture stage has no process');
  const changed: ProcessDefinition = {
    ...web,
    env: (ctx) => ({ ...web.env?.(ctx), ...extraEnv }),
  };
  return { ...fixtureStage, processes: [changed] };
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  return (await response.json()) as T;
}

interface ProcessInfo {
  pid: number;
  path: string;
  jwk: string;
}

describe('startStage', () => {
  const noDatabaseUrl = { env: {} };

  it('starts database, migrations, seed and process, and stops them all', async () => {
    const dataDir = join(scratch, 'full');
    const publicPort = await freePort();
    const lines: string[] = [];
    const callerPath = process.env.PATH;
    process.env.PATH = '/usr/local/bin:/usr/bin:/bin'; // a shell without the workspace's binaries

    const stage = await startStage(fixtureStage, {
      ...noDatabaseUrl,
      publicPort,
      dataDir,
      log: (line) => lines.push(line),
    }).finally(() => {
      process.env.PATH = callerPath;
    });
    const notes = await getJson<string[]>(`${stage.url}/notes`);
    const child = await getJson<ProcessInfo>(`${stage.url}/process`);
    await stage.stop();

    expect(stage.url).toBe(`http://localhost:${publicPort}`);
    expect(notes).toEqual(['welcome']);
    expect(lines).toContain('[seed] seeded the welcome note');
    expect(lines).toContain(`[web] listening on ${publicPort}`);
    expect(lines).toContain(`Stage 99 (fixture) is ready at http://localhost:${publicPort}`);
    expect(child.path.split(':')).toContain(workspaceBinDir);
    expect(JSON.parse(child.jwk)).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(isRunning(child.pid)).toBe(false);
    expect(await portIsFree(publicPort)).toBe(true);
  });

  it('runs tasks after the migrations, before any process, and gives each process a port', async () => {
    const [web] = fixtureStage.processes;
    const [notes] = fixtureStage.databases;
    if (web === undefined || notes === undefined) throw new Error('the fixture stage changed');
    // The seed becomes a task: it can only have run if the migrations ran before it, and a
    // process that is not public listens on the port the runner chose for it.
    const inner: ProcessDefinition = {
      ...web,
      name: 'inner',
      port: (ctx) => ctx.ports.inner ?? 0,
      env: (ctx) => ({ ...web.env?.(ctx), PORT: String(ctx.ports.inner) }),
    };
    const stage: StageDefinition = {
      ...fixtureStage,
      databases: [{ ...notes, seed: undefined }],
      tasks: [{ ...notes.seed, name: 'task' }],
      processes: [inner, web],
    };
    const publicPort = await freePort();
    const lines: string[] = [];

    const running = await startStage(stage, {
      ...noDatabaseUrl,
      publicPort,
      dataDir: join(scratch, 'tasks'),
      log: (line) => lines.push(line),
    });
    const innerNotes = await getJson<string[]>(`${running.processUrls.inner}/notes`);
    await running.stop();

    expect(lines).toContain('[task] seeded the welcome note');
    expect(lines.findIndex((l) => l.startsWith('[task]'))).toBeLessThan(
      lines.findIndex((l) => l.startsWith('[inner]')),
    );
    expect(innerNotes).toEqual(['welcome']);
    expect(running.processUrls.web).toBe(`http://127.0.0.1:${publicPort}`);
    expect(running.processUrls.inner).not.toBe(running.processUrls.web);
  });

  it('prints the process id and port of each process it starts', async () => {
    const [web] = fixtureStage.processes;
    if (web === undefined) throw new Error('the fixture stage changed');
    // Started by node itself, as the course's stages are, so the id printed is the server's own.
    const stage = { ...fixtureStage, processes: [{ ...web, command: ['node', 'server.ts'] }] };
    const publicPort = await freePort();
    const lines: string[] = [];

    const running = await startStage(stage, {
      ...noDatabaseUrl,
      publicPort,
      dataDir: join(scratch, 'pids'),
      log: (line) => lines.push(line),
    });
    const child = await getJson<ProcessInfo>(`${running.url}/process`);
    await running.stop();

    expect(lines).toContain(`[web] started pid=${child.pid} port=${publicPort}`);
  });

  it('keeps data and signing key across restarts and seeds only once', async () => {
    const dataDir = join(scratch, 'full'); // left behind by the previous test
    const publicPort = await freePort();
    const lines: string[] = [];

    const stage = await startStage(fixtureStage, {
      ...noDatabaseUrl,
      publicPort,
      dataDir,
      log: (line) => lines.push(line),
    });
    const notes = await getJson<string[]>(`${stage.url}/notes`);
    const child = await getJson<ProcessInfo>(`${stage.url}/process`);
    await stage.stop();

    expect(notes).toEqual(['welcome']);
    expect(lines).toContain('[seed] already seeded');
    expect(child.jwk).toBe(readFileSync(join(dataDir, 'jwt-private.jwk.json'), 'utf8').trim());
  });

  it('a reset forgets the databases, the signing key and the S3 objects, and the next start seeds afresh', async () => {
    const dataDir = join(scratch, 'reset');
    const options = { ...noDatabaseUrl, publicPort: await freePort(), dataDir, log: () => {} };
    const before = await startStage(fixtureStage, options);
    const oldKey = (await getJson<ProcessInfo>(`${before.url}/process`)).jwk;
    await before.stop();
    const notMine = join(dataDir, 'notes.txt');
    writeFileSync(notMine, 'the runner did not create this file');
    // What the local AWS of a stage with `localAws` keeps: S3 objects as files.
    mkdirSync(join(dataDir, 's3', 'buckets'), { recursive: true });
    const lines: string[] = [];

    const deleted = resetStageData(fixtureStage, { dataDir });
    const after = await startStage(fixtureStage, { ...options, log: (line) => lines.push(line) });
    const newKey = (await getJson<ProcessInfo>(`${after.url}/process`)).jwk;
    await after.stop();

    expect(deleted).toEqual([
      join(dataDir, 'notes'),
      join(dataDir, 'jwt-private.jwk.json'),
      join(dataDir, 's3'),
    ]);
    expect(existsSync(join(dataDir, 's3'))).toBe(false);
    expect(lines).toContain('[seed] seeded the welcome note');
    expect(newKey).not.toBe(oldKey);
    expect(existsSync(notMine)).toBe(true);
  });

  it('refuses to reset a running stage, and deletes nothing', async () => {
    const dataDir = join(scratch, 'reset-running');
    const running = await startStage(fixtureStage, {
      ...noDatabaseUrl,
      publicPort: await freePort(),
      dataDir,
      log: () => {},
    });

    try {
      expect(() => resetStageData(fixtureStage, { dataDir })).toThrow(
        /Stage 99 is running \(process \d+ has .*notes open\): stop it first/,
      );
      expect(existsSync(join(dataDir, 'notes'))).toBe(true);
      expect(existsSync(join(dataDir, 'jwt-private.jwk.json'))).toBe(true);
    } finally {
      await running.stop();
    }
  });

  it('fails with the last log lines of a process that never becomes ready', async () => {
    const publicPort = await freePort();
    const stage = fixtureWith({ NEVER_READY: '1' });

    const starting = startStage(stage, {
      ...noDatabaseUrl,
      publicPort,
      dataDir: join(scratch, 'never-ready'),
      log: () => {},
      readyTimeoutMs: 1_500,
    });

    await expect(starting).rejects.toThrow(/web did not become ready .* within 1.5 s/);
    await expect(starting).rejects.toThrow(/still warming up/);
    expect(await portIsFree(publicPort)).toBe(true);
  });

  it('fails fast when a process exits before it is ready', async () => {
    const stage = fixtureWith({ PORT: 'not-a-port' }); // listen() throws at start-up

    const starting = startStage(stage, {
      ...noDatabaseUrl,
      publicPort: await freePort(),
      dataDir: join(scratch, 'crashing'),
      log: () => {},
    });

    await expect(starting).rejects.toThrow(/web exited with code 1 before it was ready/);
    await expect(starting).rejects.toThrow(/ERR_SOCKET_BAD_PORT/);
  });

  it('uses DATABASE_URL instead of starting embedded Postgres', async () => {
    const server = await startEmbeddedPostgres(); // stands in for a real Postgres server
    const dataDir = join(scratch, 'external');
    try {
      const stage = await startStage(fixtureStage, {
        env: { DATABASE_URL: server.url },
        publicPort: await freePort(),
        dataDir,
        log: () => {},
      });
      await stage.stop();
      const client = new pg.Client(server.url);
      await client.connect();
      const { rows } = await client.query('SELECT text FROM "Note"').finally(() => client.end());

      expect(rows).toEqual([{ text: 'welcome' }]); // migrated and seeded there
      expect(existsSync(join(dataDir, 'notes'))).toBe(false);
    } finally {
      await server.stop();
    }
  });
});
