import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseCliArguments } from '../src/cli-arguments.ts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

describe('contract CLI arguments', () => {
  it('reads the base URL, --stage, --fuzz and --runs', () => {
    expect(
      parseCliArguments([
        '--base-url',
        'http://127.0.0.1:3000',
        '--stage',
        '04',
        '--fuzz',
        '--runs',
        '10',
      ]),
    ).toEqual({
      baseUrl: 'http://127.0.0.1:3000',
      fuzz: true,
      runs: 10,
      stage: '04',
    });
  });

  it('names no stage when --stage is not given', () => {
    expect(parseCliArguments(['--base-url', 'http://x'])).toMatchObject({ stage: undefined });
  });

  it.each([
    [[], 'missing --base-url'],
    [['--base-url', 'localhost:3000'], 'must be an http(s) URL'],
    [['--base-url', 'http://x', '--runs', '0'], 'positive integer'],
    [['--base-url', 'http://x', '--stage', '4'], 'two digits'],
    [['--base-url', 'http://x', '--verbose'], "Unknown option '--verbose'"],
  ])('refuses %j', (argv, message) => {
    expect(parseCliArguments(argv)).toEqual({ error: expect.stringContaining(message) });
  });

  it('exits with status 2 and the usage when --base-url is missing', async () => {
    const failure = await run(process.execPath, ['--import', 'tsx', cli]).catch(
      (error: unknown) => error,
    );

    expect(failure).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Usage: pnpm contract --base-url <url>'),
    });
  });
});
