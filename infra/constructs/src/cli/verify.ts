// `pnpm verify [stage] --base-url <url> [options]`: the contract conformance suite (`pnpm contract`)
// against a deployed stage, e.g. `pnpm verify 00 --base-url http://<load balancer DNS name>`;
// then, when the stage has one, its own check (<stage folder>/verify.ts), e.g. stage 04's wait
// for a big win's events to arrive.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findStageFolder } from '@course/local';
import { parseVerifyArguments, type StageCheck, splitStageArgument } from './verify-arguments.ts';

async function stageCheckOf(stage: string | undefined): Promise<StageCheck | undefined> {
  if (stage === undefined) return undefined;
  const file = join(findStageFolder(stage), 'verify.ts');
  if (!existsSync(file)) return undefined;
  const module: { options: StageCheck['options']; usage: string; default: StageCheck['verify'] } =
    await import(pathToFileURL(file).href);
  return { options: module.options, usage: module.usage, verify: module.default };
}

async function main(): Promise<number> {
  const { stage, rest } = splitStageArgument(process.argv.slice(2));
  const check = await stageCheckOf(stage);
  const parsed = parseVerifyArguments(rest, check?.options);
  const usage =
    'Usage: pnpm verify [stage] --base-url <url> [--fuzz] [--runs <n>]' +
    (check ? `\nStage ${stage}'s own options:\n${check.usage}` : '');
  if (parsed === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if ('error' in parsed) {
    process.stderr.write(`${parsed.error}\n\n${usage}\n`);
    return 2;
  }
  process.stdout.write(
    `Verifying ${stage === undefined ? 'a stage' : `stage ${stage}`} against the contract\n`,
  );
  // Naming the stage holds it to the operations it serves, those added since it included.
  const stageArgs = stage === undefined ? [] : ['--stage', stage];
  const contract = spawnSync(
    'pnpm',
    ['--silent', 'contract', ...parsed.contractArgs, ...stageArgs],
    {
      stdio: 'inherit',
    },
  );
  if (contract.status !== 0 || check === undefined) return contract.status ?? 1;
  process.stdout.write(`\nStage ${stage}'s own check\n`);
  try {
    await check.verify({ baseUrl: parsed.baseUrl, values: parsed.stageValues });
    return 0;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main();
