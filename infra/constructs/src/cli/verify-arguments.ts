import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

/**
 * `pnpm verify [stage] --base-url <url> …`: the optional first word names the stage being checked.
 * It is printed, so a learner sees what they verified, and it picks the stage's own check (its
 * `verify.ts`) when the stage has one; the contract suite runs whatever it says.
 */
export function splitStageArgument(argv: string[]): { stage: string | undefined; rest: string[] } {
  const args = argv.filter((arg) => arg !== '--');
  const [first, ...others] = args;
  if (first === undefined || first.startsWith('-')) return { stage: undefined, rest: args };
  return { stage: first, rest: others };
}

/**
 * A stage's own check, run after the contract suite: what the contract cannot see (stage 04's
 * events arriving in the forum, the leaderboard and the audit log). A stage's `verify.ts`
 * exports `options` (its own flags, in node:util parseArgs's form, string or boolean) and a
 * default `verify` function; it throws to fail.
 */
export interface StageCheck {
  options: ParseArgsOptionsConfig;
  /** One line per option, for the usage text. */
  usage: string;
  verify(args: {
    baseUrl: string;
    values: Record<string, string | boolean | undefined>;
  }): Promise<void>;
}

/** The contract suite's own options (`pnpm contract`), passed on to it unchanged. */
const CONTRACT_OPTIONS = {
  'base-url': { type: 'string' },
  fuzz: { type: 'boolean' },
  runs: { type: 'string' },
  help: { type: 'boolean' },
} as const satisfies ParseArgsOptionsConfig;

export interface VerifyArguments {
  baseUrl: string;
  /** For `pnpm contract`. */
  contractArgs: string[];
  /** The stage check's own options, parsed. */
  stageValues: Record<string, string | boolean | undefined>;
}

/**
 * Splits the arguments after the stage between the contract suite and the stage's own check:
 * the contract's options go to it as given, the stage's options to its check, and an option
 * neither knows is an error that names it.
 */
export function parseVerifyArguments(
  argv: string[],
  stageOptions: ParseArgsOptionsConfig = {},
): VerifyArguments | { error: string } | 'help' {
  const clash = Object.keys(stageOptions).find((name) => name in CONTRACT_OPTIONS);
  if (clash) return { error: `the stage's check redefines --${clash}` };
  const options: ParseArgsOptionsConfig = { ...CONTRACT_OPTIONS, ...stageOptions };
  const parse = () => parseArgs({ args: argv, options, tokens: true, strict: true });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    return { error: (error as Error).message };
  }
  if (parsed.values.help) return 'help';
  const baseUrl = parsed.values['base-url'];
  if (typeof baseUrl !== 'string') return { error: 'missing --base-url' };
  const contractArgs: string[] = [];
  const stageValues: Record<string, string | boolean | undefined> = {};
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    if (token.name in CONTRACT_OPTIONS) {
      contractArgs.push(token.rawName, ...(token.value === undefined ? [] : [token.value]));
    } else {
      stageValues[token.name] = parsed.values[token.name] as string | boolean | undefined;
    }
  }
  return { baseUrl, contractArgs, stageValues };
}
