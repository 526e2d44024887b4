import { describe, expect, it } from 'vitest';
import { splitStageArgument } from '../src/cli/verify-arguments.ts';

describe('pnpm verify arguments', () => {
  it('takes a leading stage name and passes everything else to the contract suite', () => {
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
