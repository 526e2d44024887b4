/*
 * `pnpm bench [stage]`: runs the benchmark a stage ships in its bench.ts.
 *
 *   pnpm bench                         stage 00, 10 s per scenario, 20 connections
 *   pnpm bench 00 --duration 5 --connections 50
 *   pnpm bench aws-local               the local AWS runtime (infra/aws-local/bench.ts)
 *
 * Benchmarks report; they never pass or fail. Compare the ratios printed in one run, not
 * absolute numbers across runs or machines.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { LoadOptions } from '../bench/measure.ts';
import { findStageFolder } from '../stage-folders.ts';
import { workspaceRoot } from '../workspace.ts';

type StageBenchmark = (load: LoadOptions) => Promise<unknown>;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '20' },
    },
  });
  const target = positionals[0] ?? '00';
  const folder =
    target === 'aws-local' ? join(workspaceRoot, 'infra', 'aws-local') : findStageFolder(target);
  const file = join(folder, 'bench.ts');
  if (!existsSync(file)) throw new Error(`${folder} has no bench.ts`);
  const load = {
    durationSeconds: Number(values.duration),
    connections: Number(values.connections),
  };
  if (!(load.durationSeconds > 0 && load.connections > 0)) {
    throw new Error('--duration and --connections must be positive numbers');
  }
  const module: { default: StageBenchmark } = await import(pathToFileURL(file).href);
  await module.default(load);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `pnpm bench failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
