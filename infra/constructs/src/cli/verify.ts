// `pnpm verify [stage] --base-url <url>`: the contract conformance suite (`pnpm contract`) against
// a deployed stage, e.g. `pnpm verify 00 --base-url http://<load balancer DNS name>`.
import { spawnSync } from 'node:child_process';
import { splitStageArgument } from './verify-arguments.ts';

const { stage, rest } = splitStageArgument(process.argv.slice(2));
process.stdout.write(
  `Verifying ${stage === undefined ? 'a stage' : `stage ${stage}`} against the contract\n`,
);
const result = spawnSync('pnpm', ['--silent', 'contract', ...rest], { stdio: 'inherit' });
process.exitCode = result.status ?? 1;
