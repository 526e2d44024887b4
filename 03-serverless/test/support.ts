import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalAws } from '@course/aws-local';
import {
  freePort,
  quietAndUnthrottled,
  type RunningStage,
  type StageContext,
  type StageDefinition,
  type StartStageOptions,
  startStage,
} from '@course/local';
import { afterAll, beforeAll } from 'vitest';
import stage from '../stage.ts';

export interface StageForTests {
  readonly url: string;
  readonly processUrls: Record<string, string>;
  /** What the processes were given: database URLs, queue URLs, bucket names… */
  readonly context: StageContext;
  /** The running local AWS: its endpoints, environment and fault switches. */
  readonly localAws: LocalAws;
  /** The stage's log so far (runner, processes, functions' START/END/REPORT lines). */
  readonly log: readonly string[];
}

export type StageForTestsOptions = Pick<StartStageOptions, 'env' | 'localAws'> & {
  beforeStart?: () => Promise<void>;
};

/**
 * A stage that serves a CDK app in the local AWS runtime, as `pnpm start <stage>` runs it —
 * the app synthesized and served, the processes, the embedded databases — started once for the
 * tests of one file, in a data folder of its own, and stopped after them. Processes log warnings
 * only and do not rate-limit (the suites send many requests from one address). `localAws` sets
 * the runtime's time scale and fault switches from the start.
 */
export function serverlessStageForThisFile(
  def: StageDefinition,
  options: StageForTestsOptions = {},
): StageForTests {
  const { beforeStart, ...startOptions } = options;
  let running: RunningStage | undefined;
  let dataDir: string | undefined;
  const log: string[] = [];
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), `stage-${def.id}-test-`));
    await beforeStart?.();
    try {
      running = await startStage(quietAndUnthrottled(def), {
        publicPort: await freePort(),
        dataDir,
        log: (line) => log.push(line),
        ...startOptions,
      });
    } catch (error) {
      // The stage's own output usually explains a start that failed.
      process.stderr.write(`${log.slice(-40).join('\n')}\n`);
      throw error;
    }
  }, 180_000);
  afterAll(async () => {
    await running?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  const current = (): RunningStage => {
    if (!running) throw new Error('the stage starts in beforeAll: use it inside a test');
    return running;
  };
  return {
    get url() {
      return current().url;
    },
    get processUrls() {
      return current().processUrls;
    },
    get context() {
      return current().context;
    },
    get localAws() {
      const { localAws } = current();
      if (!localAws) throw new Error(`stage ${def.id} serves no CDK app locally`);
      return localAws;
    },
    log,
  };
}

/** Stage 03, started once for the tests of one file (see serverlessStageForThisFile). */
export function stageForThisFile(options: StageForTestsOptions = {}): StageForTests {
  return serverlessStageForThisFile(stage, options);
}
