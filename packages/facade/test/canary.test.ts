import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineRouteTable, ownerOf, withCanaryShare } from '../src/index.ts';
import {
  getAs,
  inBatches,
  startFacade,
  startUpstream,
  type TestFacade,
  type TestUpstream,
} from './helpers.ts';

const routes = defineRouteTable({
  targets: ['monolith', 'slots'],
  routes: [
    {
      name: 'slots',
      paths: ['/api/slots/*'],
      target: 'monolith',
      canary: { target: 'slots', share: 0 },
    },
  ],
});
const slotsRoute = (share: number) => {
  const route = withCanaryShare(routes, 'slots', share).routes[0];
  if (route === undefined) throw new Error('no route');
  return route;
};

const players = Array.from({ length: 1000 }, (_, i) => `player-${i}`);

describe('the canary share', () => {
  let monolith: TestUpstream;
  let slots: TestUpstream;
  const facades = new Map<number, TestFacade>();

  beforeAll(async () => {
    monolith = await startUpstream('monolith');
    slots = await startUpstream('slots');
    for (const share of [0, 50, 100]) {
      facades.set(
        share,
        await startFacade({
          table: withCanaryShare(routes, 'slots', share),
          targets: { monolith: monolith.url, slots: slots.url },
        }),
      );
    }
  });

  afterAll(async () => {
    for (const facade of facades.values()) await facade.close();
    await Promise.all([monolith.kill(), slots.kill()]);
  });

  const walletUrl = (share: number) => `${facades.get(share)?.url}/api/slots/wallet`;

  it.each([
    [0, 'monolith'],
    [100, 'slots'],
  ])('at share %i sends every player to %s', async (share, target) => {
    const served = await inBatches(
      players.slice(0, 100).map((player) => () => getAs(walletUrl(share), player)),
    );

    expect(new Set(served.map((echo) => echo.served))).toEqual(new Set([target]));
  });

  it('at share 50 sends about half of 1 000 players to each, each to its owner', async () => {
    const served = await inBatches(
      players.map((player) => async () => (await getAs(walletUrl(50), player)).served),
    );

    const onSlots = served.filter((target) => target === 'slots').length;
    expect(onSlots).toBeGreaterThan(430);
    expect(onSlots).toBeLessThan(570);
    expect(served).toEqual(players.map((player) => ownerOf(slotsRoute(50), player)));
  });

  it('sends the same player to the same target every time', async () => {
    const sample = players.slice(0, 20);

    const rounds = await Promise.all(
      [1, 2, 3, 4, 5].map(() =>
        inBatches(sample.map((player) => async () => (await getAs(walletUrl(50), player)).served)),
      ),
    );

    for (const round of rounds) expect(round).toEqual(rounds[0]);
  });

  it('draws anonymous requests at share 50, and both targets answer them', async () => {
    const served = await inBatches(
      Array.from({ length: 50 }, () => async () => (await getAs(walletUrl(50))).served),
    );

    expect(new Set(served)).toEqual(new Set(['monolith', 'slots']));
  });

  it('treats a garbled token like an anonymous request', async () => {
    const res = await fetch(walletUrl(50), { headers: { Authorization: 'Bearer garbage' } });

    expect(res.status).toBe(200);
    expect(res.headers.get('x-served-by')).toMatch(/^(monolith|slots)@01 \(process\)$/);
  });
});
