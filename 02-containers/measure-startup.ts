/*
 * How big each service's bundle is, and how long a service takes to start on a Fargate task's
 * share of a CPU, from its bundle and, for comparison, from its TypeScript sources through tsx
 * (what the images ran before they were built from bundles):
 *
 *   pnpm measure-startup [--runs 3] [--cpu-percent 25]        (in 02-containers)
 *
 * For each service and each way of starting it, on a new empty database each time: the database
 * setup (its migrations) until it exits, then the server from process start until /readyz
 * answers 200. The processes run in a CPU cgroup with a quota (25 % of one CPU = the 0.25 vCPU
 * of the stage's tasks), which needs root and a writable cgroup file system (Linux); the script
 * stops and says so otherwise. The databases are embedded PostgreSQL servers in this process,
 * outside the quota, as RDS is outside the task. tsx's compile cache is turned off, as a new
 * container starts without one.
 *
 * A report, not a test: figures vary with the machine and its load. The stack's health-check
 * grace period (HEALTH_CHECK_GRACE_PERIOD in cdk/images.ts) is set from them, with a margin.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, startEmbeddedPostgres } from '@course/local';
import { ed25519SigningJwk } from '@course/service-kit/signing-key';
import { buildBundle, DATABASE_SETUP_COMMAND, SERVER_ENTRY } from './cdk/bundles.ts';
import { SERVICES, type Service } from './src/services.ts';
import stage from './stage.ts';

const stageDir = fileURLToPath(new URL('.', import.meta.url));

/** One way of starting a service: its two commands and the folder they run in. */
interface Variant {
  name: string;
  cwd: string;
  setup: string[];
  server: string[];
  env: Record<string, string>;
}

/** The local runner's commands, from the sources (what the old images ran). */
function fromSources(service: Service): Variant {
  const server = stage.processes.find((p) => p.name === service);
  if (!server) throw new Error(`stage 02 has no process ${service}`);
  return {
    name: 'tsx, sources',
    cwd: stageDir,
    setup: ['node', '--import', 'tsx', 'src/database-setup.ts'],
    server: server.command,
    env: { TSX_DISABLE_CACHE: '1' },
  };
}

/** The image's commands, from the service's bundle. */
function fromBundle(bundleDir: string): Variant {
  return {
    name: 'bundle',
    cwd: bundleDir,
    setup: DATABASE_SETUP_COMMAND,
    server: ['node', SERVER_ENTRY],
    env: {},
  };
}

// --- the CPU quota --------------------------------------------------------------------------

/** A CPU cgroup limited to `percent` % of one CPU; `command` runs inside it from its first instruction. */
interface CpuLimit {
  description: string;
  wrap(command: string[]): string[];
  remove(): void;
}

function createCpuLimit(percent: number): CpuLimit {
  const periodUs = 100_000;
  const quotaUs = Math.round((periodUs * percent) / 100);
  const name = `course-measure-startup-${process.pid}`;
  const v2Root = '/sys/fs/cgroup';
  const v1Root = '/sys/fs/cgroup/cpu';
  let dir: string;
  let description: string;
  if (readIfExists(join(v2Root, 'cgroup.controllers'))?.split(/\s+/).includes('cpu')) {
    dir = join(v2Root, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'cpu.max'), `${quotaUs} ${periodUs}`);
    description = `cgroup v2 ${dir}, cpu.max "${quotaUs} ${periodUs}"`;
  } else if (existsSync(join(v1Root, 'cpu.cfs_quota_us'))) {
    dir = join(v1Root, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'cpu.cfs_period_us'), String(periodUs));
    writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quotaUs));
    description = `cgroup v1 ${dir}, cpu.cfs_quota_us ${quotaUs} per ${periodUs}`;
  } else {
    throw new Error('no CPU cgroup controller under /sys/fs/cgroup: cannot limit the CPU here');
  }
  return {
    description,
    // The shell moves itself into the group, then becomes the command: no instruction runs outside.
    wrap: (command) => [
      'sh',
      '-c',
      `echo $$ > ${join(dir, 'cgroup.procs')} && exec "$@"`,
      'sh',
      ...command,
    ],
    remove: () => rmdirSync(dir),
  };
}

function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

// --- one start ------------------------------------------------------------------------------

function spawnIn(command: string[], cwd: string, env: Record<string, string>): ChildProcess {
  const [file = '', ...args] = command;
  return spawn(file, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

/** Seconds from spawning the server until its /readyz answers 200. */
async function secondsUntilReady(
  child: ChildProcess,
  url: string,
  started: number,
): Promise<number> {
  const deadline = started + 300_000;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  while (performance.now() < deadline && !exited) {
    const response = await fetch(`${url}/readyz`).catch(() => undefined);
    if (response?.status === 200) return (performance.now() - started) / 1000;
    await sleep(25);
  }
  throw new Error(exited ? 'the server exited before it was ready' : 'not ready after 300 s');
}

interface Timing {
  setupSeconds: number;
  readySeconds: number;
}

async function startOnce(service: Service, variant: Variant, limit: CpuLimit): Promise<Timing> {
  const database = await startEmbeddedPostgres();
  try {
    const env = { ...variant.env, STAGE: '02', DATABASE_URL: database.url };

    let started = performance.now();
    const setup = spawnIn(limit.wrap(variant.setup), variant.cwd, { ...env, SERVICE: service });
    const code = await exitOf(setup);
    if (code !== 0) throw new Error(`${service} database setup (${variant.name}) exited ${code}`);
    const setupSeconds = (performance.now() - started) / 1000;

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    started = performance.now();
    const server = spawnIn(limit.wrap(variant.server), variant.cwd, {
      ...env,
      ...serviceEnvironment(service),
      HOST: '127.0.0.1',
      PORT: String(port),
    });
    try {
      return { setupSeconds, readySeconds: await secondsUntilReady(server, url, started) };
    } finally {
      const exited = exitOf(server);
      server.kill('SIGTERM');
      await exited;
    }
  } finally {
    await database.stop();
  }
}

/** What each service needs besides its database to start; nothing listens at these addresses. */
function serviceEnvironment(service: Service): Record<string, string> {
  const jwks = { JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json' };
  if (service === 'users') return { JWT_PRIVATE_JWK: JSON.stringify(ed25519SigningJwk()) };
  if (service === 'forum') return { ...jwks, SLOTS_URL: 'http://127.0.0.1:9' };
  return jwks;
}

// --- sizes ----------------------------------------------------------------------------------

function filesOf(dir: string): Array<{ path: string; bytes: number }> {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => statSync(join(dir, path)).isFile())
    .map((path) => ({ path, bytes: statSync(join(dir, path)).size }));
}

/**
 * The bytes of a bundle file by where its code came from: esbuild starts each module's code
 * with a `// <path>` comment, so the bytes up to the next one are that module's.
 */
function bytesBySource(file: string): Map<string, number> {
  const bySource = new Map<string, number>();
  let source = '(bundle preamble)';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const marker = /^\/\/ (\S+\.[cm]?[jt]s)$/.exec(line)?.[1];
    if (marker !== undefined) source = packageOf(marker);
    bySource.set(source, (bySource.get(source) ?? 0) + Buffer.byteLength(line) + 1);
  }
  return bySource;
}

/** A node_modules path → its package; a workspace path → its folder. */
function packageOf(path: string): string {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!node_modules)/.exec(
    path.slice(path.lastIndexOf('node_modules/')),
  );
  if (inModules?.[1]) return inModules[1];
  const generated = /src\/generated\/[^/]+/.exec(path)?.[0];
  if (generated) return `${generated} (Prisma client, query compiler Wasm inlined)`;
  return path
    .split('/')
    .slice(0, path.startsWith('../') ? 3 : 2)
    .join('/');
}

/** A line of the report. */
function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

function reportSizes(bundleDir: string, service: Service): void {
  const dir = join(bundleDir, service);
  const files = filesOf(dir).sort((a, b) => b.bytes - a.bytes);
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  print(`\n${service}: ${total} bytes (${mb(total)}) in ${files.length} files`);
  for (const f of files.slice(0, 5)) print(`  ${mb(f.bytes).padStart(9)}  ${f.path}`);
  const sources = [...bytesBySource(join(dir, SERVER_ENTRY))].sort((a, b) => b[1] - a[1]);
  print(`  ${SERVER_ENTRY}, by source:`);
  for (const [source, bytes] of sources.slice(0, 4)) {
    print(`  ${mb(bytes).padStart(9)}  ${source}`);
  }
}

// --- main -----------------------------------------------------------------------------------

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      'cpu-percent': { type: 'string', default: '25' },
    },
  });
  const runs = Number(values.runs);
  const cpuPercent = Number(values['cpu-percent']);
  if (!(runs >= 1 && cpuPercent > 0)) throw new Error('--runs and --cpu-percent must be positive');

  const bundleDir = await mkdtemp(join(tmpdir(), 'course-02-measure-'));
  const limit = createCpuLimit(cpuPercent);
  try {
    for (const service of SERVICES) {
      mkdirSync(join(bundleDir, service));
      buildBundle(join(bundleDir, service), service);
      reportSizes(bundleDir, service);
    }

    print(`\nCPU limit: ${cpuPercent} % of one CPU (${limit.description})`);
    print(`${runs} runs each, on a new embedded PostgreSQL database each time\n`);
    const rows: string[][] = [
      ['service', 'started from', 'setup s (median, max)', 'to /readyz s (median, max)'],
    ];
    for (const service of SERVICES) {
      for (const variant of [fromSources(service), fromBundle(join(bundleDir, service))]) {
        const timings: Timing[] = [];
        for (let run = 0; run < runs; run++) timings.push(await startOnce(service, variant, limit));
        const cell = (pick: (t: Timing) => number) => {
          const all = timings.map(pick);
          return `${median(all).toFixed(2)}, ${Math.max(...all).toFixed(2)}`;
        };
        rows.push([
          service,
          variant.name,
          cell((t) => t.setupSeconds),
          cell((t) => t.readySeconds),
        ]);
        print(rows.at(-1)?.join('  |  '));
      }
    }
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
    print(`\n${rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')).join('\n')}`);
  } finally {
    limit.remove();
    await rm(bundleDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `measure-startup failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
