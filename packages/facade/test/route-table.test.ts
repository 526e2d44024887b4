import { describe, expect, it } from 'vitest';
import {
  canaryBucket,
  chooseTarget,
  defineRouteTable,
  matchRoute,
  ownerOf,
  pathMatches,
  type Route,
  type RouteTable,
  rulePriorities,
  withCanaryShare,
} from '../src/route-table.ts';

type Target = 'old' | 'new';

function splitRoute(share: number, stickiness?: 'player' | 'request'): Route<Target> {
  return {
    name: 'slots',
    paths: ['/api/slots/*'],
    target: 'old',
    canary: { target: 'new', share },
    stickiness,
  };
}

const players = Array.from({ length: 1000 }, (_, i) => `player-${i}`);

function problemsOf(table: RouteTable<string>): string {
  try {
    defineRouteTable(table);
  } catch (err) {
    return (err as Error).message;
  }
  return '';
}

describe('defineRouteTable', () => {
  it('accepts a valid table and returns it unchanged', () => {
    const table = { targets: ['old', 'new'], routes: [splitRoute(50)] } as const;

    expect(defineRouteTable(table)).toBe(table);
  });

  it('lists every problem of a table in one error', () => {
    const message = problemsOf({
      targets: ['old', 'new'],
      routes: [
        { name: 'a', paths: ['/a'], target: 'nowhere' },
        { name: 'a', paths: ['/b'], target: 'old' },
        { name: 'c', paths: [], target: 'old' },
        { name: 'd', paths: ['/1', '/2', '/3', '/4', '/5', '/6'], target: 'old' },
        { name: 'e', paths: ['no-slash', '/with space', `/${'x'.repeat(128)}`], target: 'old' },
        { name: 'f', paths: ['/f'], target: 'old', canary: { target: 'elsewhere', share: 10 } },
        { name: 'g', paths: ['/g'], target: 'old', canary: { target: 'old', share: 10 } },
        { name: 'h', paths: ['/h'], target: 'old', canary: { target: 'new', share: 101 } },
        { name: 'i', paths: ['/i'], target: 'old', canary: { target: 'new', share: 12.5 } },
        { name: 'j', paths: ['/j'], target: 'old', timeoutMs: 0 },
        { name: 'k', paths: ['/k'], target: 'old', timeoutMs: Number.POSITIVE_INFINITY },
      ],
    });

    expect(message.split('\n').slice(1)).toEqual([
      '  - route "a": unknown target "nowhere"',
      '  - route "a" is defined twice',
      '  - route "c": needs 1 to 5 path patterns',
      '  - route "d": needs 1 to 5 path patterns',
      '  - route "e": "no-slash" is not a path pattern an ALB accepts',
      '  - route "e": "/with space" is not a path pattern an ALB accepts',
      `  - route "e": "/${'x'.repeat(128)}" is not a path pattern an ALB accepts`,
      '  - route "f": unknown canary target "elsewhere"',
      '  - route "g": the canary is the route\'s own target',
      '  - route "h": canary share 101 is not a whole percentage 0–100',
      '  - route "i": canary share 12.5 is not a whole percentage 0–100',
      '  - route "j": timeoutMs must be a positive number of milliseconds',
      '  - route "k": timeoutMs must be a positive number of milliseconds',
    ]);
  });
});

describe('ALB path patterns', () => {
  it.each([
    ['/api/slots/*', '/api/slots/spins', true],
    ['/api/slots/*', '/api/slots/', true],
    ['/api/slots/*', '/api/slots', false],
    ['/api/slots/*', '/api/slots/a/b/c', true],
    ['/*', '/', true],
    ['/*', '/anything/at/all', true],
    ['/api/threads/?', '/api/threads/7', true],
    ['/api/threads/?', '/api/threads/42', false],
    ['/api/Slots/*', '/api/slots/spins', false],
    ['/a.b', '/aXb', false],
    ['/a.b', '/a.b', true],
    ['/price$+(x)', '/price$+(x)', true],
  ])('pattern %s against %s: %s', (pattern, path, expected) => {
    expect(pathMatches(pattern, path)).toBe(expected);
  });

  it('takes the first route whose pattern matches, in table order', () => {
    const table = defineRouteTable({
      targets: ['old', 'new'],
      routes: [
        { name: 'leaderboard', paths: ['/api/slots/leaderboard'], target: 'new' },
        { name: 'slots', paths: ['/api/slots/*'], target: 'old' },
        { name: 'rest', paths: ['/*'], target: 'old' },
      ],
    });

    expect(matchRoute(table, '/api/slots/leaderboard')?.name).toBe('leaderboard');
    expect(matchRoute(table, '/api/slots/wallet')?.name).toBe('slots');
    expect(matchRoute(table, '/api/threads')?.name).toBe('rest');
  });

  it('matches no route when no pattern fits', () => {
    const table = defineRouteTable({
      targets: ['old'],
      routes: [{ name: 'api', paths: ['/api/*'], target: 'old' }],
    });

    expect(matchRoute(table, '/web/index.html')).toBeUndefined();
  });
});

describe('canaryBucket', () => {
  it('puts the same player in the same bucket every time', () => {
    expect(players.map(canaryBucket)).toEqual(players.map(canaryBucket));
  });

  it('spreads players over all 100 buckets, none much fuller than the others', () => {
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 20_000; i++) {
      const bucket = canaryBucket(`player-${i}`);
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }

    // 200 expected per bucket; a fair hash stays well within ±35 % over 20 000 players.
    expect(Math.min(...counts)).toBeGreaterThan(130);
    expect(Math.max(...counts)).toBeLessThan(270);
  });
});

describe('chooseTarget', () => {
  it('sends everybody to the route target at share 0 and to the canary at share 100', () => {
    expect(new Set(players.map((p) => chooseTarget(splitRoute(0), p)))).toEqual(new Set(['old']));
    expect(new Set(players.map((p) => chooseTarget(splitRoute(100), p)))).toEqual(new Set(['new']));
  });

  it('sends a route without a canary to its target', () => {
    const route: Route<Target> = { name: 'rest', paths: ['/*'], target: 'old' };

    expect(chooseTarget(route, 'player-1')).toBe('old');
    expect(chooseTarget(route, undefined)).toBe('old');
  });

  it('pins each player to one target and splits players about evenly at share 50', () => {
    const route = splitRoute(50);

    const first = players.map((p) => chooseTarget(route, p, () => 0.99));
    const again = players.map((p) => chooseTarget(route, p, () => 0.01));

    expect(again).toEqual(first);
    const onCanary = first.filter((target) => target === 'new').length;
    expect(onCanary).toBeGreaterThan(430);
    expect(onCanary).toBeLessThan(570);
  });

  it('gives the canary exactly the buckets below the share', () => {
    const route = splitRoute(30);

    for (const player of players.slice(0, 200)) {
      expect(chooseTarget(route, player)).toBe(canaryBucket(player) < 30 ? 'new' : 'old');
    }
  });

  it('draws anonymous requests, and every request under "request" stickiness', () => {
    for (const route of [splitRoute(50), splitRoute(50, 'request')]) {
      const player = route.stickiness === 'request' ? 'player-1' : undefined;

      expect(chooseTarget(route, player, () => 0.49)).toBe('new');
      expect(chooseTarget(route, player, () => 0.5)).toBe('old');
    }
  });

  it('keeps a player with the wallet owner whatever the stickiness', () => {
    for (const player of players.slice(0, 100)) {
      expect(ownerOf(splitRoute(50, 'request'), player)).toBe(chooseTarget(splitRoute(50), player));
    }
  });
});

describe('withCanaryShare', () => {
  const table = defineRouteTable({
    targets: ['old', 'new', 'other'],
    routes: [
      { name: 'board', paths: ['/board'], target: 'old', canary: { target: 'new', share: 0 } },
      { name: 'slots', paths: ['/slots/*'], target: 'old', canary: { target: 'new', share: 0 } },
      { name: 'forum', paths: ['/forum/*'], target: 'old', canary: { target: 'other', share: 5 } },
      { name: 'rest', paths: ['/*'], target: 'old' },
    ],
  });

  it('moves every canary towards the target and leaves the other routes alone', () => {
    const moved = withCanaryShare(table, 'new', 40);

    expect(moved.routes.map((route) => route.canary)).toEqual([
      { target: 'new', share: 40 },
      { target: 'new', share: 40 },
      { target: 'other', share: 5 },
      undefined,
    ]);
    expect(table.routes[0]?.canary?.share).toBe(0);
  });

  it('refuses a share that is not a whole percentage', () => {
    expect(() => withCanaryShare(table, 'new', 150)).toThrow(/canary share 150/);
  });
});

describe('rulePriorities', () => {
  const route = (name: string, priority?: number): Route<Target> => ({
    name,
    paths: [`/${name}`],
    target: 'old',
    priority,
  });

  it('numbers the routes 1, 2, 3… in table order when none has a priority', () => {
    const table = defineRouteTable({ targets: ['old'], routes: [route('a'), route('b')] });

    expect(rulePriorities(table)).toEqual([1, 2]);
  });

  it('keeps explicit priorities and counts on from them for the routes without one', () => {
    const table = defineRouteTable({
      targets: ['old'],
      routes: [route('a', 10), route('b'), route('c', 20), route('d')],
    });

    expect(rulePriorities(table)).toEqual([10, 11, 20, 21]);
  });

  it('lets a route be inserted between two others without renumbering either', () => {
    const before = defineRouteTable({
      targets: ['old'],
      routes: [route('a', 10), route('c', 20)],
    });
    const after = defineRouteTable({
      targets: ['old'],
      routes: [route('a', 10), route('b', 15), route('c', 20)],
    });

    expect(rulePriorities(before)).toEqual([10, 20]);
    expect(rulePriorities(after)).toEqual([10, 15, 20]);
  });

  it('refuses priorities out of range, or not growing along the table', () => {
    const message = problemsOf({
      targets: ['old'],
      routes: [route('a', 0), route('b', 20), route('c', 20), route('d', 5), route('e', 1.5)],
    });

    expect(message.split('\n').slice(1)).toEqual([
      '  - route "a": priority 0 is not a whole number 1–50000',
      '  - route "c": priority 20 must be higher than the route before it (20), as the table is matched in order',
      '  - route "d": priority 5 must be higher than the route before it (20), as the table is matched in order',
      '  - route "e": priority 1.5 is not a whole number 1–50000',
    ]);
  });
});
