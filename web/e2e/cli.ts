/*
 * `pnpm e2e [stage]`: the browser tests against a real stage (00 by default).
 *
 *   1. builds the web app (the stage serves web/dist),
 *   2. starts the stage on a free port with a fresh, temporary data directory,
 *   3. installs Debian's Chromium if /usr/bin/chromium is missing (needs root, as in CI),
 *   4. runs e2e/*.e2e.ts with vitest, writing artifacts/e2e.json and screenshots in artifacts/e2e/,
 *   5. stops the stage and exits non-zero if anything failed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type StageDefinition, startStage, workspaceRoot } from '@course/local';
import { startVitest } from 'vitest/node';

const webDir = resolve(import.meta.dirname, '..');
const artifactsDir = join(workspaceRoot, 'artifacts');
const chromiumPath = '/usr/bin/chromium';

async function main(): Promise<number> {
  const stageFolder = findStageFolder(process.argv[2] ?? '00');
  run('pnpm', ['build'], workspaceRoot);
  ensureChromium();

  const definition = await loadStageDefinition(stageFolder);
  const dataDir = mkdtempSync(join(tmpdir(), 'course-e2e-'));
  mkdirSync(join(artifactsDir, 'e2e'), { recursive: true });
  const stageLog: string[] = [];
  print(`Starting stage ${definition.id} (${definition.title})…`);
  const stage = await startStage(definition, {
    publicPort: await freePort(),
    dataDir,
    log: (line) => stageLog.push(line),
  });
  print(`Stage ${definition.id} is ready at ${stage.url}`);

  try {
    return await runSpecs(stage.url);
  } catch (error) {
    // The stage's own output usually explains a failure the specs only see as a symptom.
    process.stderr.write(`${stageLog.slice(-40).join('\n')}\n`);
    throw error;
  } finally {
    await stage.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runSpecs(url: string): Promise<number> {
  process.env.E2E_BASE_URL = url;
  process.env.E2E_SCREENSHOT_DIR = join(artifactsDir, 'e2e');
  const vitest = await startVitest('test', [], {
    root: webDir,
    config: false,
    include: ['e2e/**/*.e2e.ts'],
    reporters: ['default', ['json', { outputFile: join(artifactsDir, 'e2e.json') }]],
    testTimeout: 90_000,
    hookTimeout: 60_000,
    fileParallelism: false, // two Chromiums on two cores only slow each other down
    watch: false,
  });
  const failed = vitest.state.getCountOfFailedTests() > 0 || vitest.state.getFiles().length === 0;
  await vitest.close();
  return failed || process.exitCode ? 1 : 0;
}

function ensureChromium(): void {
  if (existsSync(chromiumPath)) return;
  print('Installing Chromium from Debian (apt-get)…');
  run('apt-get', ['update'], workspaceRoot);
  run('apt-get', ['install', '-y', 'chromium'], workspaceRoot);
}

/** "00", "0", "00-monolith" or "monolith" -> <repo>/00-monolith. */
function findStageFolder(requested: string): string {
  const wanted = /^\d$/.test(requested) ? `0${requested}` : requested;
  const match = readdirSync(workspaceRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d\d-/.test(entry.name))
    .map((entry) => entry.name)
    .find((name) => name === wanted || name.startsWith(`${wanted}-`) || name.slice(3) === wanted);
  if (match === undefined || !existsSync(join(workspaceRoot, match, 'stage.ts'))) {
    throw new Error(`Unknown stage "${requested}" (e.g. pnpm e2e 00)`);
  }
  return join(workspaceRoot, match);
}

/** Stages are not dependencies of the web app: each is loaded by path, like `pnpm start` does. */
async function loadStageDefinition(folder: string): Promise<StageDefinition> {
  const module: { default?: StageDefinition } = await import(
    pathToFileURL(join(folder, 'stage.ts')).href
  );
  if (module.default === undefined) throw new Error(`${folder}/stage.ts has no default export`);
  return module.default;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed`);
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`pnpm e2e failed: ${error instanceof Error ? error.message : error}\n`);
    process.exit(1);
  },
);
