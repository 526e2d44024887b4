import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  quietAndUnthrottled,
  type RunningStage,
  type StartStageOptions,
  startStage,
} from '@course/local';
import { afterAll, beforeAll } from 'vitest';
import stage from '../stage.ts';

export interface StageForTests {
  readonly url: string;
  readonly processUrls: Record<string, string>;
  /** The stage's log so far (runner, processes, functions' START/END/REPORT lines). */
  readonly log: readonly string[];
}

/**
 * Stage 03 as `pnpm start 03` runs it — its CDK app synthesized and served by the local AWS
 * runtime, the users, forum and gateway processes, the embedded databases — started once for the
 * tests of one file, in a data folder of its own, and stopped after them. Processes log warnings
 * only and do not rate-limit (the suites send many requests from one address).
 */
export function stageForThisFile(
  options: Pick<StartStageOptions, 'env'> & { beforeStart?: () => Promise<void> } = {},
): StageForTests {
  const { beforeStart, ...startOptions } = options;
  let running: RunningStage | undefined;
  let dataDir: string | undefined;
  const log: string[] = [];
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stage-03-test-'));
    await beforeStart?.();
    try {
      running = await startStage(quietAndUnthrottled(stage), {
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
    log,
  };
}
