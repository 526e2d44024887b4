import type { components } from '../generated/api.ts';

export type Machine = components['schemas']['Machine'];
export type Spin = components['schemas']['Spin'];

/**
 * How a line of three symbols pays. The contract says what a paytable pattern is, not which
 * of several matching patterns wins, so the suite accepts either common rule, provided the
 * machine's published RTP follows from it exactly.
 */
export type PayoutRule = (machine: Machine, line: readonly string[]) => number;

function matching(machine: Machine, line: readonly string[]) {
  return machine.paytable.filter((entry) =>
    entry.pattern.every((symbol, reel) => symbol === 'any' || symbol === line[reel]),
  );
}

export const payoutRules: Record<string, PayoutRule> = {
  'first matching paytable entry': (machine, line) => matching(machine, line)[0]?.multiplier ?? 0,
  'highest matching multiplier': (machine, line) =>
    Math.max(0, ...matching(machine, line).map((entry) => entry.multiplier)),
};

/** Σ multiplier over every combination of reel stops, and the number of combinations. */
export function exactReturn(
  machine: Machine,
  rule: PayoutRule,
): { paid: bigint; combinations: bigint } {
  const [first = [], second = [], third = []] = machine.reels;
  let paid = 0n;
  for (const a of first) {
    for (const b of second) {
      for (const c of third) paid += BigInt(rule(machine, [a, b, c]));
    }
  }
  return { paid, combinations: BigInt(first.length * second.length * third.length) };
}

const matchingRulesCache = new WeakMap<Machine, string[]>();

/** The rules under which `rtpExact` ("p/q") is exactly the machine's return to player. */
export function rulesMatchingRtp(machine: Machine): string[] {
  // Every spin is checked against these rules; the reels are walked once per machine.
  const cached = matchingRulesCache.get(machine);
  if (cached) return cached;
  const [p = '', q = ''] = machine.rtpExact.split('/');
  const rules = Object.entries(payoutRules)
    .filter(([, rule]) => {
      const { paid, combinations } = exactReturn(machine, rule);
      // paid / combinations === p / q, compared without rounding.
      return paid * BigInt(q) === BigInt(p) * combinations;
    })
    .map(([name]) => name);
  matchingRulesCache.set(machine, rules);
  return rules;
}
