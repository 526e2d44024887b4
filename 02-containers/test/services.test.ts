import { createHarness } from '@course/contract';
import { describe, expect, it } from 'vitest';
import routes from '../routes.ts';
import { stageForThisFile } from './support.ts';

// Stage 02 in one process: three services, each over its own database, behind the gateway.
const stage = stageForThisFile();

describe('the gateway', () => {
  it.each([
    ['GET', '/api/me', 'users'],
    ['GET', '/.well-known/jwks.json', 'users'],
    ['POST', '/api/users', 'users'],
    ['GET', '/api/threads', 'forum'],
    ['GET', '/api/threads/00000000-0000-4000-8000-000000000000', 'forum'],
    ['GET', '/api/slots/machine', 'slots'],
    ['GET', '/api/slots/leaderboard', 'slots'],
  ])('sends %s %s to the %s service', async (method, path, service) => {
    const response = await fetch(`${stage.url}${path}`, { method });

    expect(response.headers.get('x-served-by')).toBe(`${service}@02 (process)`);
  });

  it('routes every path family of the route table to a different service', () => {
    expect(new Set(routes.routes.map((route) => route.target))).toEqual(
      new Set(['users', 'forum', 'slots']),
    );
  });

  it('never forwards /internal: service-to-service routes do not face the internet', async () => {
    const response = await fetch(`${stage.url}/internal/leaderboard-ranks?players=x`);

    expect(response.status).toBe(404);
    expect(response.headers.get('x-served-by')).toBe('gateway@02 (process)');
  });

  it('serves the web app for paths outside the API', async () => {
    const response = await fetch(`${stage.url}/`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe('the forum service', () => {
  it('shows author names from the tokens it was given, with no users table to join', async () => {
    const h = createHarness(() => stage.url);
    const author = await h.newPlayer();

    const created = h.expectStatus(
      await h.send('createThread', { token: author.token, json: { title: 'Mine', body: 'Hi' } }),
      201,
    );
    const listed = h.expectStatus(await h.send('listThreads'), 200);

    expect(created.author).toEqual({ id: author.id, username: author.username });
    expect(listed.items.find((thread) => thread.id === created.id)?.author).toEqual({
      id: author.id,
      username: author.username,
    });
  });
});

describe('the slots service', () => {
  it('answers the forum with the leaderboard places of the players asked about', async () => {
    const h = createHarness(() => stage.url);
    const [ranked, unranked] = [await h.newPlayer(), await h.newPlayer()];
    h.expectStatus(await h.send('getWallet', { token: ranked.token }), 200);
    const board = h.expectStatus(await h.send('getLeaderboard'), 200);
    const slotsUrl = stage.services.slots.url;

    const response = await fetch(
      `${slotsUrl}/internal/leaderboard-ranks?players=${ranked.id},${unranked.id}`,
    );

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      ranks: [{ userId: ranked.id, rank: board.items.find((e) => e.userId === ranked.id)?.rank }],
    });
  });

  it.each([
    ['no players', ''],
    ['a malformed id', '?players=not-a-uuid'],
    ['more than a page of players', `?players=${Array(101).fill(crypto.randomUUID()).join(',')}`],
  ])('refuses %s with a 400 problem', async (_case, query) => {
    const response = await fetch(`${stage.services.slots.url}/internal/leaderboard-ranks${query}`);

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });
});
