import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import type { components } from '../generated/api.ts';
import { type Harness, type Player, SETUP_TIMEOUT_MS } from '../harness.ts';

type Purchase = components['schemas']['Purchase'];
type Title = components['schemas']['Title'];

/**
 * How long a purchase may take to end. Its saga runs a few steps after the answer, each a
 * function invocation; on a busy machine, cold starts included, seconds rather than milliseconds.
 */
const PURCHASE_DEADLINE_MS = 15_000;
const POLL_INTERVAL_MS = 100;

const LOCATION = /\/api\/slots\/purchases\/([0-9a-fA-F-]{36})$/;

/**
 * The titles shop (from stage 04 on): buying a title with slot credits starts a saga that runs
 * after the answer; the purchase is followed until it ends, and the wallet must agree with how it
 * ended. Declared only for a stage that serves the shop's operations (see x-since-stage).
 */
export function describeShop(h: Harness): void {
  describe('shop', () => {
    let titles: Title[];
    let startingBalance: number;

    beforeAll(async () => {
      titles = h.expectStatus(await h.send('listTitles'), 200).items;
      startingBalance = h.expectStatus(await h.send('getMachine'), 200).startingBalance;
    }, SETUP_TIMEOUT_MS);

    async function balanceOf(player: Player): Promise<number> {
      return h.expectStatus(await h.send('getWallet', { token: player.token }), 200).balance;
    }

    function buy(player: Player, titleId: unknown, idempotencyKey?: string) {
      const headers =
        idempotencyKey === undefined ? undefined : { 'idempotency-key': idempotencyKey };
      return h.send('createPurchase', { token: player.token, json: { titleId }, headers });
    }

    /** Reads the purchase until its saga has ended (any status but running). */
    async function followUntilEnded(player: Player, id: string): Promise<Purchase> {
      const deadline = Date.now() + PURCHASE_DEADLINE_MS;
      for (;;) {
        const purchase = h.expectStatus(
          await h.send('getPurchase', { token: player.token, params: { id } }),
          200,
        );
        if (purchase.status !== 'running') return purchase;
        if (Date.now() > deadline) {
          throw new Error(
            `purchase ${id} still running after ${PURCHASE_DEADLINE_MS} ms: ${JSON.stringify(purchase)}`,
          );
        }
        await sleep(POLL_INTERVAL_MS);
      }
    }

    /** The cheapest title a new wallet can pay, and one it cannot. */
    function affordable(): Title {
      const title = titles.find((candidate) => candidate.price <= startingBalance);
      if (!title) throw new Error(`no title costs ${startingBalance} credits or less`);
      return title;
    }
    function beyondReach(): Title {
      const title = titles.find((candidate) => candidate.price > startingBalance);
      if (!title) throw new Error(`no title costs more than ${startingBalance} credits`);
      return title;
    }

    it('GET /api/slots/titles lists titles with distinct ids, cheapest first, and needs no token', () => {
      const prices = titles.map((title) => title.price);

      expect(titles.length).toBeGreaterThan(0);
      expect(new Set(titles.map((title) => title.id)).size).toBe(titles.length);
      expect([...prices].sort((a, b) => a - b)).toEqual(prices);
    });

    it('buying a title answers 202 with its Location, and the purchase completes with the price debited', async () => {
      const player = await h.newPlayer();
      const title = affordable();
      const before = await balanceOf(player);

      const response = await buy(player, title.id);

      const started = h.expectStatus(response, 202);
      expect(started).toMatchObject({ titleId: title.id, title: title.name, price: title.price });
      expect(response.headers.get('location')).toMatch(LOCATION);
      expect(LOCATION.exec(response.headers.get('location') ?? '')?.[1]).toBe(started.id);
      expect(response.headers.get('idempotent-replayed')).toBeNull();
      const ended = await followUntilEnded(player, started.id);
      expect(ended.status, JSON.stringify(ended)).toBe('completed');
      expect(ended.steps.map((step) => `${step.step}:${step.status}`)).toEqual(
        expect.arrayContaining(['debit:succeeded', 'grant:succeeded']),
      );
      expect(ended.steps.every((step) => step.status !== 'running')).toBe(true);
      expect(await balanceOf(player)).toBe(before - title.price);
    });

    it('a title the wallet cannot pay is rejected, and the wallet keeps its credits', async () => {
      const player = await h.newPlayer();
      const title = beyondReach();
      const before = await balanceOf(player);

      const started = h.expectStatus(await buy(player, title.id), 202);
      const ended = await followUntilEnded(player, started.id);

      expect(ended.status, JSON.stringify(ended)).toBe('rejected');
      expect(ended.reason).toBeTruthy();
      expect(ended.steps.map((step) => step.step)).not.toContain('grant');
      expect(await balanceOf(player)).toBe(before);
    });

    it('replaying an Idempotency-Key answers the same purchase, and debits once', async () => {
      const player = await h.newPlayer();
      const title = affordable();
      const key = `ct-${randomUUID()}`;
      const before = await balanceOf(player);

      const first = await buy(player, title.id, key);
      const replay = await buy(player, title.id, key);

      const original = h.expectStatus(first, 202);
      const replayed = h.expectStatus(replay, 202);
      expect(replayed.id).toBe(original.id);
      expect(replay.headers.get('location')).toBe(first.headers.get('location'));
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect((await followUntilEnded(player, original.id)).status).toBe('completed');
      expect(await balanceOf(player)).toBe(before - title.price);
    });

    it('reusing an Idempotency-Key for another title: 422 /problems/idempotency-key-reused', async () => {
      const player = await h.newPlayer();
      const [one, other] = titles;
      if (!one || !other) throw new Error('this check needs two titles');
      const key = `ct-${randomUUID()}`;
      h.expectStatus(await buy(player, one.id, key), 202);

      const reused = await buy(player, other.id, key);

      h.expectProblem(reused, 422, '/problems/idempotency-key-reused');
    });

    it.each([
      ['a title not on sale', { titleId: 'no-such-title' }],
      ['no title id', {}],
      ['a title id of the wrong type', { titleId: 7 }],
    ])('buying %s: 422 naming titleId, and nothing is debited', async (_case, body) => {
      const player = await h.newPlayer();
      const before = await balanceOf(player);

      const response = await h.send('createPurchase', { token: player.token, json: body });

      const problem = h.expectProblem(response, 422, '/problems/validation');
      expect(problem.errors?.map((error) => error.path)).toContain('titleId');
      expect(await balanceOf(player)).toBe(before);
    });

    it('an unreadable purchase body: 400 malformed, 415 not JSON, 413 too large', async () => {
      const player = await h.newPlayer();

      await h.expectUnreadableBodiesRefused('createPurchase', { token: player.token });
    });

    it('a malformed Idempotency-Key: 400', async () => {
      const player = await h.newPlayer();

      h.expectProblem(await buy(player, affordable().id, 'has space'), 400, 'about:blank');
    });

    it('buying and reading purchases need a bearer token: 401', async () => {
      const withoutToken = await h.send('createPurchase', { json: { titleId: affordable().id } });
      const readWithout = await h.send('getPurchase', { params: { id: randomUUID() } });
      const forged = await h.send('getPurchase', {
        params: { id: randomUUID() },
        headers: { authorization: 'Bearer nope' },
      });

      h.expectProblem(withoutToken, 401, 'about:blank');
      h.expectProblem(readWithout, 401, 'about:blank');
      h.expectProblem(forged, 401, 'about:blank');
    });

    it("another player's purchase, an unknown id and a malformed id are all 404", async () => {
      const owner = await h.newPlayer();
      const stranger = await h.newPlayer();
      const { id } = h.expectStatus(await buy(owner, affordable().id), 202);

      const theirs = await h.send('getPurchase', { token: stranger.token, params: { id } });
      const unknown = await h.send('getPurchase', {
        token: owner.token,
        params: { id: randomUUID() },
      });
      const malformed = await h.send('getPurchase', {
        token: owner.token,
        rawParams: { id: 'not-a-uuid' },
      });

      h.expectProblem(theirs, 404, 'about:blank');
      h.expectProblem(unknown, 404, 'about:blank');
      h.expectProblem(malformed, 404, 'about:blank');
      // Let the owner's purchase end before the suite moves on: nothing is left running.
      await followUntilEnded(owner, id);
    });
  });
}
