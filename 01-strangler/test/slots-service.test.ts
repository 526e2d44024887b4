import { createTokenIssuer } from '@course/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, register } from './players.ts';
import { type RunningStrangler, startStrangler } from './support.ts';

// The slots service on its own, addressed directly rather than through the facade.
let stage: RunningStrangler;
beforeAll(async () => {
  stage = await startStrangler(100);
}, 60_000);
afterAll(() => stage?.close());

describe('the slots service', () => {
  it('accepts a token the monolith signed, checked with the monolith’s published keys', async () => {
    const player = await register(stage.url);

    const response = await fetch(`${stage.slotsUrl}/api/slots/wallet`, as(player));

    expect(response.status).toBe(200);
    expect(response.headers.get('x-served-by')).toBe('slots@01 (process)');
    expect(await response.json()).toEqual({ balance: 1000 });
  });

  it('refuses a well-formed token signed with any other key', async () => {
    const forger = await createTokenIssuer({ issuer: 'monolith' });
    const token = await forger.issue({ id: crypto.randomUUID(), username: 'mallory' });

    const response = await fetch(`${stage.slotsUrl}/api/slots/wallet`, {
      headers: { authorization: `Bearer ${token}` },
    });

    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('keeps wallets in its own database and shows them on its leaderboard by username', async () => {
    const player = await register(stage.url, 'own');
    await fetch(`${stage.slotsUrl}/api/slots/wallet`, as(player));

    const wallet = await stage.databases.dbs.slots.wallet.findUnique({
      where: { userId: player.id },
    });
    const inMonolith = await stage.databases.dbs.monolith.wallet.findUnique({
      where: { userId: player.id },
    });
    const board = await fetch(`${stage.slotsUrl}/api/slots/leaderboard`);
    const { items } = (await board.json()) as { items: { userId: string; username: string }[] };

    expect(wallet).toMatchObject({ username: player.username, balance: 1000 });
    expect(inMonolith).toBeNull();
    expect(items.find((entry) => entry.userId === player.id)?.username).toBe(player.username);
  });
});
