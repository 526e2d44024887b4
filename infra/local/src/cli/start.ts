/*
 * `pnpm start [stage]`: runs one stage of the course on this machine.
 *
 *   pnpm start                       stage 00
 *   pnpm start 01                    or 1, 01-strangler, strangler, or the path of a folder with a stage.ts
 *   PORT=8080 pnpm start             another public port (default 3000)
 *   pnpm start 00 --data-dir /tmp/x  keep the data elsewhere
 *   pnpm start 01 --reset            forget the stage's local data first: fresh databases and demo data
 *   DATABASE_URL=postgresql://... pnpm start   a real Postgres server instead of embedded ones
 *   pnpm start 04 --faults 'queue=orders,duplicate;mapping=AuditConsumer,crash-before-delete=once'
 *                                    fault switches of the local AWS (stages with a CDK app served locally);
 *                                    `function=<logical id>,fail=once` or `,crash-after-effect` for a function
 *   pnpm start 04 --time-scale 0.1   the template's timeouts, visibility timeouts, schedules and state
 *                                    machines' retry intervals and waits 10× as fast
 *
 * Data (databases, signing key) lives in <repo>/.data/<stage folder>; --reset deletes it.
 */
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type RunningStage, resetStageData, startStage } from '../runner.ts';
import { findStageFolder, loadStageDefinition } from '../stage-folders.ts';
import { workspaceRoot } from '../workspace.ts';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      reset: { type: 'boolean', default: false },
      faults: { type: 'string', default: '' },
      'time-scale': { type: 'string', default: '1' },
    },
  });
  const timeScale = Number(values['time-scale']);
  if (!(timeScale > 0))
    return fail(`--time-scale must be a number above 0, not "${values['time-scale']}"`);
  const faults =
    values.faults === '' ? [] : (await import('@course/aws-local')).parseFaultSpecs(values.faults);
  const folder = findStageFolder(positionals[0] ?? '00');
  const definition = await loadStageDefinition(folder);
  const publicPort = process.env.PORT ? Number(process.env.PORT) : 3000;
  if (!Number.isInteger(publicPort) || publicPort <= 0 || publicPort > 65535) {
    return fail(`PORT must be a port number, not "${process.env.PORT}"`);
  }

  const dataDir = resolve(values['data-dir'] ?? join(workspaceRoot, '.data', basename(folder)));
  if (values.reset) {
    const deleted = resetStageData(definition, { dataDir });
    const names = deleted.map((path) => {
      const short = relative(process.cwd(), path);
      return short.startsWith('..') ? path : short;
    });
    print(`Reset: ${names.length > 0 ? `deleted ${names.join(', ')}` : 'no local data to delete'}`);
  }

  // Ctrl-C while the stage is still starting: startStage stops what it started and rejects.
  const startup = new AbortController();
  const abortStartup = () => startup.abort();
  process.on('SIGINT', abortStartup);
  process.on('SIGTERM', abortStartup);
  let stage: RunningStage;
  try {
    stage = await startStage(definition, {
      publicPort,
      dataDir,
      signal: startup.signal,
      localAws: { timeScale, faults },
    });
  } catch (error) {
    if (startup.signal.aborted) return 0;
    throw error;
  } finally {
    process.off('SIGINT', abortStartup);
    process.off('SIGTERM', abortStartup);
  }
  print('Press Ctrl-C to stop.');
  return runUntilStopped(stage);
}

/** Waits for Ctrl-C / SIGTERM (exit 0) or for a process to crash (exit 1), then stops everything. */
function runUntilStopped(stage: RunningStage): Promise<number> {
  return new Promise((resolve) => {
    const stop = async (code: number) => {
      try {
        await stage.stop();
      } catch (error) {
        print(`Could not stop everything cleanly: ${describe(error)}`);
        code = 1;
      }
      resolve(code);
    };
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      // Stay subscribed: tsx relays the terminal's Ctrl-C too, and an unhandled second signal
      // would kill the runner before it has stopped the children.
      if (stopping) return;
      stopping = true;
      print(`\n${signal} received: stopping...`);
      void stop(0);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    void stage.exited.then(({ name, code, signal }) => {
      if (stopping) return;
      stopping = true;
      print(`${name} stopped unexpectedly (${signal ?? `exit code ${code}`}): stopping the stage.`);
      void stop(1);
    });
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fail(message: string): number {
  process.stderr.write(`${message}\n`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(fail(`pnpm start failed: ${describe(error)}`)),
);
