import { createHash } from 'node:crypto';

/**
 * One row of a stage's route table: which paths go where, and how much of their traffic a
 * canary target takes. The local facade and the stage's CDK app (ALB listener rules with
 * weighted target groups) are both generated from the same table.
 */
export interface Route<Target extends string = string> {
  /** Names the route in logs and construct ids, e.g. "slots". */
  name: string;
  /**
   * Path patterns as an ALB listener rule reads them: case-sensitive, matched against the path
   * without the query string; `*` matches any run of characters, `?` exactly one. At most five.
   */
  paths: readonly string[];
  /** The target that serves the route's traffic that is not on the canary. */
  target: Target;
  /** A second target that serves `share` percent (0–100, whole numbers) of the traffic. */
  canary?: { target: Target; share: number };
  /**
   * Who stays on the same target: "player" pins each signed-in player (by the token's subject)
   * so the same player always meets the same implementation; "request" draws per request.
   * Default "player".
   */
  stickiness?: 'player' | 'request';
  /** How long the target may take to answer before the facade answers 504. Default 10 000 ms. */
  timeoutMs?: number;
  /**
   * A write freeze: the route answers 503 problem+json with Retry-After and reaches no target,
   * e.g. while wallets are handed from one implementation to the other. Default false.
   */
  frozen?: boolean;
  /**
   * The priority of the route's listener rule on an ALB (1–50 000, lowest first). Default: one
   * more than the route before it (the first route: 1). Priorities must grow along the table,
   * whose order is the matching order. Leaving gaps (10, 20, …) lets a route be inserted later
   * with a number of its own: renumbering the rules after it would make CloudFormation move
   * one rule onto a priority that another still holds, which a listener refuses.
   */
  priority?: number;
}

/** Routes in priority order: the first whose pattern matches a path serves it. */
export interface RouteTable<Target extends string = string> {
  targets: readonly Target[];
  routes: readonly Route<Target>[];
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** An ALB listener rule condition takes at most five path patterns. */
export const MAX_PATHS_PER_ROUTE = 5;
/** The highest listener rule priority an ALB accepts. */
export const MAX_RULE_PRIORITY = 50_000;

/** Checks a route table once, where it is defined; throws one error listing every problem. */
export function defineRouteTable<const Target extends string>(
  table: RouteTable<Target>,
): RouteTable<Target> {
  const problems = routeTableProblems(table);
  if (problems.length > 0) {
    throw new Error(`Invalid route table:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return table;
}

function routeTableProblems(table: RouteTable): string[] {
  const { targets, routes } = table;
  const problems: string[] = [];
  const known = new Set(targets);
  const names = new Set<string>();
  const priorities = rulePriorities(table);
  for (const [index, route] of routes.entries()) {
    const where = `route "${route.name}"`;
    if (names.has(route.name)) problems.push(`${where} is defined twice`);
    names.add(route.name);
    if (!known.has(route.target)) problems.push(`${where}: unknown target "${route.target}"`);
    if (route.paths.length === 0 || route.paths.length > MAX_PATHS_PER_ROUTE) {
      problems.push(`${where}: needs 1 to ${MAX_PATHS_PER_ROUTE} path patterns`);
    }
    for (const path of route.paths) {
      if (!/^\/[A-Za-z0-9_\-.$/~"'@:+*?&=]*$/.test(path) || path.length > 128) {
        problems.push(`${where}: "${path}" is not a path pattern an ALB accepts`);
      }
    }
    if (route.canary !== undefined) {
      const { target, share } = route.canary;
      if (!known.has(target)) problems.push(`${where}: unknown canary target "${target}"`);
      if (target === route.target) problems.push(`${where}: the canary is the route's own target`);
      if (!Number.isInteger(share) || share < 0 || share > 100) {
        problems.push(`${where}: canary share ${share} is not a whole percentage 0–100`);
      }
    }
    if (route.timeoutMs !== undefined && !isTimerDelay(route.timeoutMs)) {
      problems.push(`${where}: timeoutMs must be a positive number of milliseconds`);
    }
    problems.push(...priorityProblems(where, priorities[index], priorities[index - 1]));
  }
  return problems;
}

/**
 * The listener rule priority of each route, in table order: its own `priority`, or one more
 * than the route before it.
 */
export function rulePriorities(table: RouteTable): number[] {
  const priorities: number[] = [];
  for (const route of table.routes) {
    priorities.push(route.priority ?? (priorities.at(-1) ?? 0) + 1);
  }
  return priorities;
}

function priorityProblems(
  where: string,
  priority: number | undefined,
  previous: number | undefined,
): string[] {
  if (priority === undefined) return [];
  if (!Number.isInteger(priority) || priority < 1 || priority > MAX_RULE_PRIORITY) {
    return [`${where}: priority ${priority} is not a whole number 1–${MAX_RULE_PRIORITY}`];
  }
  if (previous !== undefined && priority <= previous) {
    return [
      `${where}: priority ${priority} must be higher than the route before it (${previous}), ` +
        'as the table is matched in order',
    ];
  }
  return [];
}

// setTimeout fires at once for delays it cannot hold (Infinity, more than about 24.8 days).
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

function isTimerDelay(ms: number): boolean {
  return ms > 0 && ms <= MAX_TIMER_DELAY_MS;
}

/** The first route whose patterns match the path (no query string), if any. */
export function matchRoute<Target extends string>(
  table: RouteTable<Target>,
  path: string,
): Route<Target> | undefined {
  return table.routes.find((route) => route.paths.some((pattern) => pathMatches(pattern, path)));
}

/** ALB path-pattern semantics: `*` any run of characters, `?` one character, the rest literal. */
export function pathMatches(pattern: string, path: string): boolean {
  return patternRegExp(pattern).test(path);
}

// Every request is matched against the table, so each pattern is compiled once, when first used.
const compiledPatterns = new Map<string, RegExp>();

function patternRegExp(pattern: string): RegExp {
  let regExp = compiledPatterns.get(pattern);
  if (regExp === undefined) {
    const source = pattern
      .split('')
      .map((char) =>
        char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
      )
      .join('');
    regExp = new RegExp(`^${source}$`);
    compiledPatterns.set(pattern, regExp);
  }
  return regExp;
}

/**
 * A player's fixed place on the canary scale, 0–99: a hash of the id, so every facade (and
 * every restart) puts the same player in the same bucket without sharing any state.
 */
export function canaryBucket(playerId: string): number {
  return createHash('sha256').update(playerId).digest().readUInt32BE(0) % 100;
}

/**
 * The target that serves this request: a signed-in player's own target under "player"
 * stickiness, else a fresh draw (anonymous requests, and every request under "request").
 */
export function chooseTarget<Target extends string>(
  route: Route<Target>,
  playerId: string | undefined,
  random: () => number = Math.random,
): Target {
  if (route.stickiness !== 'request' && playerId !== undefined) return ownerOf(route, playerId);
  return targetOfBucket(route, Math.floor(random() * 100));
}

/**
 * The target a player is pinned to on this route, whatever the route's stickiness: the owner
 * of that player's wallet at the route's canary share.
 */
export function ownerOf<Target extends string>(route: Route<Target>, playerId: string): Target {
  return targetOfBucket(route, canaryBucket(playerId));
}

// Buckets below the share belong to the canary: share 0 sends nobody, share 100 everybody.
function targetOfBucket<Target extends string>(route: Route<Target>, bucket: number): Target {
  const { canary } = route;
  return canary !== undefined && bucket < canary.share ? canary.target : route.target;
}

/** The same table with every canary towards `target` set to `share` percent. */
export function withCanaryShare<Target extends string>(
  table: RouteTable<Target>,
  target: Target,
  share: number,
): RouteTable<Target> {
  return defineRouteTable({
    ...table,
    routes: table.routes.map((route) =>
      route.canary?.target === target ? { ...route, canary: { target, share } } : route,
    ),
  });
}
