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

  it('is the only one to touch a wallet it owns, however the path is spelt', async () => {
    const player = await register(stage.url, 'case');
    const before = await fetch(`${stage.url}/api/slots/wallet`, as(player));
    // The facade and an ALB match paths exactly; a target that matched loosely would serve
    // these from the monolith, which does not own the wallet, and open a second one there.
    const spellings = ['/API/slots/wallet', '//api/slots/wallet', '/api/slot%73/wallet'];

    const answers = await Promise.all(
      [
        ...spellings.map((path) => fetch(`${stage.url}${path}`, as(player))),
        fetch(`${stage.url}/Api/Slots/spins`, as(player, { method: 'POST', body: '{"bet":5}' })),
      ].map(async (pending) => {
        const response = await pending;
        return `${response.status} ${response.headers.get('content-type')?.split(';')[0]}`;
      }),
    );

    expect(before.headers.get('x-served-by')).toBe('slots@01 (process)');
    // The monolith answers these with its front end's page or a 404 problem; never with JSON.
    for (const answer of answers) expect(answer).not.toMatch(/^2\d\d application\/json/);
    const inMonolith = await stage.databases.dbs.monolith.wallet.findUnique({
      where: { userId: player.id },
    });
    expect(inMonolith).toBeNull();
  });
});
