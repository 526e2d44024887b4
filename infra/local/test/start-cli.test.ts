import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/free-port.ts';
import { workspaceBinDir } from '../src/workspace.ts';

const startCli = join(import.meta.dirname, '..', 'src', 'cli', 'start.ts');
const fixtureStageDir = join(import.meta.dirname, 'fixtures', 'stage');
const scratch = mkdtempSync(join(tmpdir(), 'course-local-start-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Runs `pnpm start`'s script with the given arguments, collecting its output. */
function startCommand(args: string[], env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(join(workspaceBinDir, 'tsx'), [startCli, ...args], {
    env: { ...process.env, DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exitCode = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const outputMatching = async (pattern: RegExp) => {
    while (!pattern.test(output)) {
      if (child.exitCode !== null) throw new Error(`exited early:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return { child, exitCode, outputMatching, output: () => output };
}

describe('pnpm start', () => {
  it('names the available stages when asked for an unknown one', async () => {
    const run = startCommand(['no-such-stage']);

    expect(await run.exitCode).toBe(1);
    expect(run.output()).toMatch(/Unknown stage "no-such-stage"\. Available: .*00-monolith/);
  });

  it('refuses a malformed fault switch or time scale before starting anything', async () => {
    const badFault = startCommand([fixtureStageDir, '--faults', 'queue=orders,explode']);
    const badScale = startCommand([fixtureStageDir, '--time-scale', '0']);

    expect(await badFault.exitCode).toBe(1);
    expect(badFault.output()).toMatch(/"explode": the faults are duplicate/);
    expect(await badScale.exitCode).toBe(1);
    expect(badScale.output()).toMatch(/--time-scale must be a number above 0, not "0"/);
  });

  it('prints the URL when ready and stops everything on SIGTERM, exiting 0', async () => {
    const port = await freePort();
    const run = startCommand([fixtureStageDir, '--data-dir', join(scratch, 'data')], {
      PORT: String(port),
    });

    await run.outputMatching(/is ready at/);
    run.child.kill('SIGTERM');
    const code = await run.exitCode;

    expect(run.output()).toContain(`Stage 99 (fixture) is ready at http://localhost:${port}\n`);
    expect(run.output()).toContain('[web] SIGTERM received, closing');
    expect(code).toBe(0);
    expect(await portIsFree(port)).toBe(true);
  });
});
