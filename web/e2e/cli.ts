/*
 * `pnpm e2e [stage]`: the browser tests against a real stage (00 by default).
 *
 *   1. builds the web app (the stage serves web/dist),
 *   2. starts the stage on a free port with a fresh, temporary data directory,
 *   3. installs Debian's Chromium if /usr/bin/chromium is missing (needs root, as in CI),
 *   4. runs e2e/*.e2e.ts with vitest, writing artifacts/e2e-<stage>.json and screenshots in
 *      artifacts/e2e/<stage>/,
 *   5. stops the stage and exits non-zero if anything failed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  findStageFolder,
  freePort,
  loadStageDefinition,
  startStage,
  workspaceRoot,
} from '@course/local';
import { startVitest } from 'vitest/node';

const webDir = resolve(import.meta.dirname, '..');
const artifactsDir = join(workspaceRoot, 'artifacts');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

async function main(): Promise<number> {
  const stageFolder = findStageFolder(process.argv[2] ?? '00');
  run('pnpm', ['build'], workspaceRoot);
  ensureChromium();

  const definition = await loadStageDefinition(stageFolder);
  const dataDir = mkdtempSync(join(tmpdir(), 'course-e2e-'));
  mkdirSync(join(artifactsDir, 'e2e', definition.id), { recursive: true });
  const stageLog: string[] = [];
  print(`Starting stage ${definition.id} (${definition.title})…`);
  const stage = await startStage(definition, {
    publicPort: await freePort(),
    dataDir,
    log: (line) => stageLog.push(line),
  });
  print(`Stage ${definition.id} is ready at ${stage.url}`);

  try {
    return await runSpecs(stage.url, definition.id);
  } catch (error) {
    // The stage's own output usually explains a failure the specs only see as a symptom.
    process.stderr.write(`${stageLog.slice(-40).join('\n')}\n`);
    throw error;
  } finally {
    await stage.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function runSpecs(url: string, stageId: string): Promise<number> {
  process.env.E2E_BASE_URL = url;
  process.env.E2E_STAGE = stageId;
  process.env.E2E_SCREENSHOT_DIR = join(artifactsDir, 'e2e', stageId);
  const vitest = await startVitest('test', [], {
    root: webDir,
    config: false,
    include: ['e2e/**/*.e2e.ts'],
    reporters: ['default', ['json', { outputFile: join(artifactsDir, `e2e-${stageId}.json`) }]],
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
  if (process.env.CHROMIUM_PATH || !existsSync('/usr/bin/apt-get')) {
    throw new Error(
      `No Chromium at ${chromiumPath}: set CHROMIUM_PATH to a Chromium or Chrome binary`,
    );
  }
  print('Installing Chromium from Debian (apt-get)…');
  run('apt-get', ['update'], workspaceRoot);
  run('apt-get', ['install', '-y', 'chromium'], workspaceRoot);
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
