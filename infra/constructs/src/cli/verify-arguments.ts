/**
 * `pnpm verify [stage] --base-url <url> …`: the optional first word names the stage being checked.
 * It is only printed, so a learner sees what they verified; every check runs whatever it says.
 */
export function splitStageArgument(argv: string[]): { stage: string | undefined; rest: string[] } {
  const args = argv.filter((arg) => arg !== '--');
  const [first, ...others] = args;
  if (first === undefined || first.startsWith('-')) return { stage: undefined, rest: args };
  return { stage: first, rest: others };
}
