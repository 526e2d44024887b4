import { describe, expect, it } from 'vitest';
import { parseVerifyArguments, splitStageArgument } from '../src/cli/verify-arguments.ts';

describe('pnpm verify arguments', () => {
  it('takes a leading stage name and passes everything else on', () => {
    expect(splitStageArgument(['00', '--base-url', 'http://x'])).toEqual({
      stage: '00',
      rest: ['--base-url', 'http://x'],
    });
  });

  it('works without a stage, and drops the `--` pnpm may forward', () => {
    expect(splitStageArgument(['--', '--base-url', 'http://x', '--fuzz'])).toEqual({
      stage: undefined,
      rest: ['--base-url', 'http://x', '--fuzz'],
    });
  });
});

describe("pnpm verify's split between the contract suite and a stage's own check", () => {
  const stageOptions = {
    'audit-bucket': { type: 'string' },
    'wait-seconds': { type: 'string' },
  } as const;

  it("gives the contract its options as written and the stage's check its own, parsed", () => {
    const parsed = parseVerifyArguments(
      ['--base-url', 'https://d.example', '--audit-bucket=log', '--fuzz', '--runs', '5'],
      stageOptions,
    );

    expect(parsed).toEqual({
      baseUrl: 'https://d.example',
      contractArgs: ['--base-url', 'https://d.example', '--fuzz', '--runs', '5'],
      stageValues: { 'audit-bucket': 'log' },
    });
  });

  it('refuses an option that neither the contract nor the stage knows, naming it', () => {
    const withoutStage = parseVerifyArguments(['--base-url', 'http://x', '--audit-bucket', 'log']);

    expect(withoutStage).toEqual({ error: expect.stringContaining('--audit-bucket') });
  });

  it('needs --base-url, refuses a stray word, and answers --help', () => {
    expect(parseVerifyArguments(['--audit-bucket', 'log'], stageOptions)).toEqual({
      error: 'missing --base-url',
    });
    expect(parseVerifyArguments(['--base-url', 'http://x', 'extra'], stageOptions)).toEqual({
      error: expect.stringContaining('extra'),
    });
    expect(parseVerifyArguments(['--help'], stageOptions)).toBe('help');
  });

  it("refuses a stage option that would shadow one of the contract's", () => {
    expect(parseVerifyArguments(['--base-url', 'http://x'], { fuzz: { type: 'string' } })).toEqual({
      error: expect.stringContaining('--fuzz'),
    });
  });
});
