import { afterEach, describe, expect, it } from 'vitest';
import {
  type Composer,
  defineRouteTable,
  ownerOf,
  type RouteTable,
  withCanaryShare,
} from '../src/index.ts';
import {
  answer,
  bearer,
  FACADE_SERVED_BY,
  PROBLEM_JSON,
  rawRequest,
  type SeenRequest,
  startFacade,
  startUpstream,
  type TestFacade,
  type TestUpstream,
  type UpstreamHandler,
  waitFor,
} from './helpers.ts';

type Target = 'monolith' | 'slots';
interface Board {
  items: { userId: string; balance: number }[];
}

const routes: RouteTable<Target> = defineRouteTable({
  targets: ['monolith', 'slots'],
  routes: [
    {
      name: 'leaderboard',
      paths: ['/api/slots/leaderboard'],
      target: 'monolith',
      canary: { target: 'slots', share: 50 },
    },
    { name: 'rest', paths: ['/*'], target: 'monolith' },
  ],
});

/** A merge like stage 01's: keep each entry from its owner, sort by balance. */
const mergeBoards: Composer<Target> = ({ responses, ownerOf: owner }) => ({
  items: responses
    .flatMap(({ target, body }) =>
      (body as Board).items.filter((entry) => owner(entry.userId) === target),
    )
    .sort((a, b) => b.balance - a.balance),
});

// Two players the share-50 route pins to different targets.
const leaderboardRoute = routes.routes[0];
if (leaderboardRoute === undefined) throw new Error('no route');
const candidates = Array.from({ length: 50 }, (_, i) => `user-${i}`);
const onMonolith = candidates.find((id) => ownerOf(leaderboardRoute, id) === 'monolith') ?? '';
const onSlots = candidates.find((id) => ownerOf(leaderboardRoute, id) === 'slots') ?? '';

/** Each implementation knows every user, but only the balances of its own are current. */
function board(name: Target): UpstreamHandler {
  const balances = name === 'monolith' ? [300, 5] : [7, 200];
  return answer(name, 200, {
    items: [
      { userId: onMonolith, balance: balances[0] },
      { userId: onSlots, balance: balances[1] },
    ],
  });
}

describe('a composed route', () => {
  let monolith: TestUpstream;
  let slots: TestUpstream;
  let facade: TestFacade;

  afterEach(async () => {
    await facade.close();
    await Promise.all([monolith.kill(), slots.kill()]);
  });

  async function start(
    handlers: Record<Target, UpstreamHandler>,
    share = 50,
    breaker?: { failureThreshold?: number; openMs?: number },
  ) {
    monolith = await startUpstream('monolith', handlers.monolith);
    slots = await startUpstream('slots', handlers.slots);
    facade = await startFacade({
      table: withCanaryShare(routes, 'slots', share),
      targets: { monolith: monolith.url, slots: slots.url },
      compose: { leaderboard: mergeBoards },
      breaker,
    });
  }

  it('asks both targets while the share is split and answers with the merge', async () => {
    await start({ monolith: board('monolith'), slots: board('slots') });

    const res = await fetch(`${facade.url}/api/slots/leaderboard?x=1`, {
      headers: { 'X-Request-Id': 'merge-1', Authorization: bearer('someone') },
    });

    expect(res.status).toBe(200);
    expect(res.headers.get('x-served-by')).toBe(FACADE_SERVED_BY);
    expect(res.headers.get('x-request-id')).toBe('merge-1');
    expect(await res.json()).toEqual({
      items: [
        { userId: onMonolith, balance: 300 },
        { userId: onSlots, balance: 200 },
      ],
    });
    for (const seen of [monolith.requests, slots.requests].map((r) => r[0])) {
      expect(seen).toMatchObject<Partial<SeenRequest>>({
        method: 'GET',
        url: '/api/slots/leaderboard?x=1',
      });
      expect(seen?.headers['x-request-id']).toBe('merge-1');
      expect(seen?.headers.authorization).toBe(bearer('someone'));
    }
  });

  it('composes an HTTP/1.0 request without a Host header, and leaves the circuits closed', async () => {
    await start({ monolith: board('monolith'), slots: board('slots') }, 50, {
      failureThreshold: 1,
      openMs: 60_000,
    });

    const answers = [];
    for (let i = 0; i < 2; i++) {
      answers.push(await rawRequest(facade.url, 'GET /api/slots/leaderboard HTTP/1.0\r\n\r\n'));
    }
    const after = await fetch(`${facade.url}/api/slots/leaderboard`);

    for (const raw of answers) expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    expect(after.status).toBe(200);
    expect(monolith.requests[0]?.headers).not.toHaveProperty('x-forwarded-host');
  });

  it('asks for bodies it can read: uncompressed, never a 304', async () => {
    await start({ monolith: board('monolith'), slots: board('slots') });

    await fetch(`${facade.url}/api/slots/leaderboard`, {
      headers: { 'Accept-Encoding': 'gzip, br', 'If-None-Match': 'W/"abc"' },
    });

    expect(slots.requests[0]?.headers['accept-encoding']).toBe('identity');
    expect(slots.requests[0]?.headers['if-none-match']).toBeUndefined();
  });

  it.each([
    [0, 'monolith'],
    [100, 'slots'],
  ])('proxies plainly at share %i, to %s only', async (share, target) => {
    await start({ monolith: board('monolith'), slots: board('slots') }, share);

    const res = await fetch(`${facade.url}/api/slots/leaderboard`);

    expect(res.headers.get('x-served-by')).toBe(`${target}@01 (process)`);
    expect(monolith.requests.length + slots.requests.length).toBe(1);
  });

  it('proxies other methods plainly', async () => {
    await start({ monolith: board('monolith'), slots: board('slots') });

    const res = await fetch(`${facade.url}/api/slots/leaderboard`, { method: 'POST' });

    expect(res.headers.get('x-served-by')).toMatch(/^(monolith|slots)@01 \(process\)$/);
    expect(monolith.requests.length + slots.requests.length).toBe(1);
  });

  it('answers 503 problem+json when one target is down', async () => {
    await start({ monolith: board('monolith'), slots: board('slots') });
    await slots.kill();

    const res = await fetch(`${facade.url}/api/slots/leaderboard`);

    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
    expect(res.headers.get('x-served-by')).toBe(FACADE_SERVED_BY);
  });

  it('answers 503 when one target answers with a server error', async () => {
    await start({ monolith: board('monolith'), slots: answer('slots', 500, { status: 500 }) });

    const res = await fetch(`${facade.url}/api/slots/leaderboard`);

    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
  });

  it('answers 504 problem+json when one target is slower than the route allows', async () => {
    const slow: UpstreamHandler = (req, res, seen) => {
      setTimeout(() => board('slots')(req, res, seen), 2000);
    };
    monolith = await startUpstream('monolith', board('monolith'));
    slots = await startUpstream('slots', slow);
    facade = await startFacade({
      table: defineRouteTable({
        ...routes,
        routes: routes.routes.map((route) => ({ ...route, timeoutMs: 100 })),
      }),
      targets: { monolith: monolith.url, slots: slots.url },
      compose: { leaderboard: mergeBoards },
    });

    const res = await fetch(`${facade.url}/api/slots/leaderboard`);

    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
  });

  it("relays a target's client error as it is", async () => {
    const tooMany = answer('slots', 429, { type: 'about:blank', status: 429 });
    await start({
      monolith: board('monolith'),
      slots: (req, res, seen) => {
        res.setHeader('Retry-After', '7');
        return tooMany(req, res, seen);
      },
    });

    const res = await fetch(`${facade.url}/api/slots/leaderboard`);

    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('x-served-by')).toBe('slots@01 (process)');
    expect(await res.json()).toEqual({ type: 'about:blank', status: 429 });
  });

  it("uses the targets' circuit breakers", async () => {
    await start({ monolith: board('monolith'), slots: board('slots') }, 50, {
      failureThreshold: 1,
      openMs: 60_000,
    });
    await slots.kill();
    // Discovers that slots is down, which opens its circuit.
    expect((await fetch(`${facade.url}/api/slots/leaderboard`)).status).toBe(503);
    await waitFor(() => monolith.requests.length === 1);

    const res = await fetch(`${facade.url}/api/slots/leaderboard`);

    expect(res.status).toBe(503);
    // The open slots circuit refuses before either target is asked.
    expect(monolith.requests).toHaveLength(1);
  });
});

describe('createFacade', () => {
  it('refuses a composer for a route that is not in the table', async () => {
    await expect(
      startFacade({
        table: routes,
        targets: { monolith: 'http://127.0.0.1:1', slots: 'http://127.0.0.1:2' },
        compose: { leaderbord: mergeBoards },
      }),
    ).rejects.toThrow(/leaderbord/);
  });

  it('refuses a table target without a URL', async () => {
    await expect(
      startFacade({
        table: routes,
        targets: { monolith: 'http://127.0.0.1:1' } as Record<Target, string>,
      }),
    ).rejects.toThrow(/target "slots"/);
  });
});
