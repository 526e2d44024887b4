import { createServer, type Server, type Socket } from 'node:net';
import { createHarness, type Player } from '@course/contract';
import { freePort } from '@course/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startForum, startSlots, startUsers, Teardown } from './support.ts';
import { threadBy } from './threads.ts';

/*
 * The forum's one synchronous call: authors' leaderboard badges from the slots service. These
 * tests check the design for failure: with slots up the badges match the leaderboard; with
 * slots down or hung the thread page still comes, on time and complete, just without badges.
 * Every answer is also checked against openapi.yaml by the contract harness.
 */

const teardown = new Teardown();
let usersUrl = '';
let slotsUrl = '';
let forumUrl = '';

beforeAll(async () => {
  const users = await startUsers(teardown);
  usersUrl = users.url;
  const slots = await startSlots(teardown, users.url);
  slotsUrl = slots.url;
  const forum = await startForum(teardown, { usersUrl, slotsUrl });
  forumUrl = forum.url;
}, 120_000);
afterAll(() => teardown.run());

async function newPlayer(): Promise<Player> {
  return createHarness(() => usersUrl).newPlayer();
}

describe('with the slots service up', () => {
  it('shows each author their place on the leaderboard, and none to a player without a wallet', async () => {
    const h = createHarness(() => forumUrl);
    const slots = createHarness(() => slotsUrl);
    const gambler = await newPlayer();
    const reader = await newPlayer();
    h.expectStatus(await slots.send('getWallet', { token: gambler.token }), 200);
    const threadId = await threadBy(h, gambler, reader);
    const board = h.expectStatus(await slots.send('getLeaderboard'), 200);
    const place = board.items.find((entry) => entry.userId === gambler.id)?.rank;

    const thread = h.expectStatus(await h.send('getThread', { params: { id: threadId } }), 200);

    expect(place).toBeDefined();
    expect(thread.posts.map((post) => [post.author.username, post.authorRank])).toEqual([
      [gambler.username, place],
      [reader.username, undefined],
    ]);
  });
});

describe('with the slots service down', () => {
  it('sends the thread page without badges, quickly, and stays ready', async () => {
    const local = new Teardown();
    try {
      // A port that was just free: nothing listens there, as after a crash.
      const deadSlots = `http://127.0.0.1:${await freePort()}`;
      const forum = await startForum(local, { usersUrl, slotsUrl: deadSlots });
      const fh = createHarness(() => forum.url);
      const [author, replier] = [await newPlayer(), await newPlayer()];
      const threadId = await threadBy(fh, author, replier);

      const started = performance.now();
      const thread = fh.expectStatus(await fh.send('getThread', { params: { id: threadId } }), 200);
      const elapsedMs = performance.now() - started;

      expect(thread.posts).toHaveLength(2);
      expect(thread.posts.every((post) => post.authorRank === undefined)).toBe(true);
      expect(elapsedMs).toBeLessThan(1_000);
      expect((await fetch(`${forum.url}/readyz`)).status).toBe(200);
    } finally {
      await local.run();
    }
  });
});

describe('with the slots service hung (accepts connections, never answers)', () => {
  let blackHole: BlackHole;
  beforeAll(async () => {
    blackHole = await startBlackHole();
  });
  afterAll(() => blackHole.close());

  it('gives up at the deadline, then stops asking once the circuit opens', async () => {
    const local = new Teardown();
    try {
      const timeoutMs = 150;
      const forum = await startForum(local, {
        usersUrl,
        slotsUrl: blackHole.url,
        env: { SLOTS_TIMEOUT_MS: String(timeoutMs) },
      });
      const fh = createHarness(() => forum.url);
      const [author, replier] = [await newPlayer(), await newPlayer()];
      const threadId = await threadBy(fh, author, replier);
      const page = () => fh.send('getThread', { params: { id: threadId } });

      // Two attempts per page (one retry), each cut off at the deadline.
      const firstStarted = performance.now();
      const first = fh.expectStatus(await page(), 200);
      const firstMs = performance.now() - firstStarted;
      await page();
      await page(); // by now three lookups have failed: the circuit is open
      const connectionsBefore = blackHole.connections();
      const afterOpenStarted = performance.now();
      const afterOpen = fh.expectStatus(await page(), 200);
      const afterOpenMs = performance.now() - afterOpenStarted;

      expect(first.posts.every((post) => post.authorRank === undefined)).toBe(true);
      expect(firstMs).toBeGreaterThanOrEqual(timeoutMs);
      expect(firstMs).toBeLessThan(4 * timeoutMs + 500);
      expect(afterOpen.posts).toHaveLength(2);
      expect(blackHole.connections()).toBe(connectionsBefore);
      expect(afterOpenMs).toBeLessThan(timeoutMs);
    } finally {
      await local.run();
    }
  });
});

interface BlackHole {
  url: string;
  connections(): number;
  close(): Promise<void>;
}

/** A TCP server that accepts connections and never answers: a hung dependency. */
async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
