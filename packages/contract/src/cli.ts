// `pnpm contract --base-url http://host:port [--stage NN] [--fuzz] [--runs N]`
// Runs the conformance suite (and optionally the fuzz suite) against any running stage.
import { fileURLToPath } from 'node:url';
import { startVitest } from 'vitest/node';
import { parseCliArguments, USAGE } from './cli-arguments.ts';
import { REMOTE_ENV } from './remote-target.ts';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));

async function main(): Promise<number> {
  // pnpm forwards a literal `--` when the user writes `pnpm contract -- --base-url …`.
  const parsed = parseCliArguments(process.argv.slice(2).filter((arg) => arg !== '--'));
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if ('error' in parsed) {
    process.stderr.write(`${parsed.error}\n\n${USAGE}\n`);
    return 2;
  }

  const unreachable = await checkReachable(parsed.baseUrl);
  if (unreachable) {
    process.stderr.write(
      `Cannot reach ${parsed.baseUrl}: ${unreachable}. Is the stage running (pnpm start)?\n`,
    );
    return 1;
  }

  // The test file runs in vitest's workers, which inherit this environment.
  process.env[REMOTE_ENV.baseUrl] = parsed.baseUrl;
  process.env[REMOTE_ENV.fuzz] = parsed.fuzz ? '1' : '0';
  if (parsed.runs !== undefined) process.env[REMOTE_ENV.runs] = String(parsed.runs);
  if (parsed.stage !== undefined) process.env[REMOTE_ENV.stage] = parsed.stage;

  const vitest = await startVitest([], {
    root: packageRoot,
    config: false,
    include: ['test/remote.conformance.ts'],
    watch: false,
  });
  const failed = vitest.state.getCountOfFailedTests() > 0 || (process.exitCode ?? 0) !== 0;
  await vitest.close();
  return failed ? 1 : 0;
}

/** A clear message up front beats a hundred failed tests saying "fetch failed". */
async function checkReachable(baseUrl: string): Promise<string | undefined> {
  try {
    await fetch(new URL('/healthz', baseUrl), { signal: AbortSignal.timeout(5_000) });
    return undefined;
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    return cause?.message ?? (error as Error).message;
  }
}

process.exitCode = await main();
