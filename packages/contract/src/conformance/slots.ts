import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { ContractResponse } from '../client.ts';
import type { components } from '../generated/api.ts';
import {
  expectNewestFirst,
  type Harness,
  mentionsField,
  type Player,
  SETUP_TIMEOUT_MS,
} from '../harness.ts';
import { type Machine, payoutRules, rulesMatchingRtp, type Spin } from './machine-rules.ts';

/** Concurrent spins per round while draining a wallet: enough to overdraw, polite to the server. */
const MAX_CONCURRENT_SPINS = 10;

/**
 * Fresh wallets to try before concluding that the server never refuses a spin. One wallet
 * outlasts the drain budget with probability ~2% (a jackpot), three with ~1e-5.
 */
const DRAIN_ATTEMPTS = 3;

/** Asserts a spin is possible on this machine and paid what the paytable says. */
export function expectSpinFollowsMachine(machine: Machine, spin: Spin): void {
  spin.reels.forEach((symbol, reel) => {
    expect(machine.reels[reel], `reel ${reel} has no ${symbol}`).toContain(symbol);
  });
  const allowed = rulesMatchingRtp(machine).map(
    (name) => spin.bet * (payoutRules[name]?.(machine, spin.reels) ?? 0),
  );
  expect(allowed, `payout of ${JSON.stringify(spin)}`).toContain(spin.payout);
}

/**
 * How many spins draining a wallet may take before the suite gives up: the expected number
 * of maxBet spins to lose the balance at the machine's house edge, with a wide margin.
 */
export function drainBudget(machine: Machine, balance: number): number {
  const houseEdge = Math.max(1 - machine.rtp, 0.01);
  const expected = balance / (machine.maxBet * houseEdge);
  return Math.min(5000, Math.max(200, Math.ceil(10 * expected)));
}

/** The slot machine, wallets, spins and the leaderboard. */
export function describeSlots(h: Harness): void {
  describe('slots', () => {
    let machine: Machine;
    let alice: Player;
    const aliceSpins: Spin[] = [];

    beforeAll(async () => {
      machine = h.expectStatus(await h.send('getMachine'), 200);
      alice = await h.newPlayer();
    }, SETUP_TIMEOUT_MS);

    async function balanceOf(player: Player): Promise<number> {
      return h.expectStatus(await h.send('getWallet', { token: player.token }), 200).balance;
    }

    function spin(player: Player, bet: unknown, idempotencyKey?: string) {
      const headers =
        idempotencyKey === undefined ? undefined : { 'idempotency-key': idempotencyKey };
      return h.send('createSpin', { token: player.token, json: { bet }, headers });
    }

    it('GET /api/slots/machine describes a consistent machine with an exact RTP', () => {
      const symbols = machine.symbols.map((symbol) => symbol.id);

      expect(new Set(symbols).size, 'symbol ids are unique').toBe(symbols.length);
      for (const symbol of machine.reels.flat()) expect(symbols).toContain(symbol);
      for (const symbol of machine.paytable.flatMap((entry) => entry.pattern)) {
        expect([...symbols, 'any']).toContain(symbol);
      }
      expect(machine.minBet).toBeLessThanOrEqual(machine.maxBet);
      expect(machine.startingBalance).toBeGreaterThanOrEqual(machine.minBet);
      const [p, q] = machine.rtpExact.split('/').map(Number);
      expect(Math.abs(Number(p) / Number(q) - machine.rtp)).toBeLessThan(1e-9);
      expect(
        rulesMatchingRtp(machine),
        'rtpExact must follow exactly from reels and paytable',
      ).not.toEqual([]);
    });

    it("a new player's wallet holds the starting balance", async () => {
      const player = await h.newPlayer();

      expect(await balanceOf(player)).toBe(machine.startingBalance);
    });

    it('wallet, spins and history need a bearer token: 401', async () => {
      const wallet = await h.send('getWallet');
      const spinWithout = await h.send('createSpin', { json: { bet: machine.minBet } });
      const history = await h.send('listSpins', { headers: { authorization: 'Bearer nope' } });

      h.expectProblem(wallet, 401, 'about:blank');
      h.expectProblem(spinWithout, 401, 'about:blank');
      h.expectProblem(history, 401, 'about:blank');
    });

    it('each spin debits the bet and credits the payout: balance = before − bet + payout', async () => {
      let balance = await balanceOf(alice);

      for (const bet of [machine.minBet, machine.maxBet, machine.minBet]) {
        const response = await spin(alice, bet);
        const result = h.expectStatus(response, 201);
        expect(result.bet).toBe(bet);
        expect(result.balance).toBe(balance - bet + result.payout);
        expect(response.headers.get('idempotent-replayed')).toBeNull();
        expectSpinFollowsMachine(machine, result);
        balance = result.balance;
        aliceSpins.push(result);
      }

      expect(await balanceOf(alice)).toBe(balance);
    });

    it('replaying an Idempotency-Key returns the identical spin and debits once', async () => {
      const key = `ct-${randomUUID()}`;
      const before = await balanceOf(alice);

      const first = await spin(alice, machine.minBet, key);
      const replay = await spin(alice, machine.minBet, key);

      const original = h.expectStatus(first, 201);
      expect(h.expectStatus(replay, 201)).toEqual(original);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(await balanceOf(alice)).toBe(before - machine.minBet + original.payout);
      aliceSpins.push(original);
    });

    it('reusing an Idempotency-Key for another bet: 422 /problems/idempotency-key-reused', async () => {
      expect(machine.maxBet, 'this check needs two different valid bets').toBeGreaterThan(
        machine.minBet,
      );
      const key = `ct-${randomUUID()}`;
      aliceSpins.push(h.expectStatus(await spin(alice, machine.minBet, key), 201));
      const before = await balanceOf(alice);

      const reused = await spin(alice, machine.minBet + 1, key);

      h.expectProblem(reused, 422, '/problems/idempotency-key-reused');
      expect(await balanceOf(alice)).toBe(before);
    });

    it.each([
      ['with a space', 'has space'],
      ['longer than 128 characters', 'k'.repeat(129)],
      ['with a semicolon', 'semi;colon'],
      ['with a slash', 'slash/key'],
    ])('an Idempotency-Key %s is malformed: 400, and nothing is debited', async (_case, key) => {
      const before = await balanceOf(alice);

      const response = await spin(alice, machine.minBet, key);

      h.expectProblem(response, 400, 'about:blank');
      expect(await balanceOf(alice)).toBe(before);
    });

    it('GET /api/slots/spins lists only the own spins, newest first, replays counted once', async () => {
      const bob = await h.newPlayer();

      const all = h.expectStatus(await h.send('listSpins', { token: alice.token }), 200);
      const latestTwo = h.expectStatus(
        await h.send('listSpins', { token: alice.token, query: { limit: 2 } }),
        200,
      );
      const bobs = h.expectStatus(await h.send('listSpins', { token: bob.token }), 200);

      expect(all.items.map((s) => s.id).sort()).toEqual(aliceSpins.map((s) => s.id).sort());
      expectNewestFirst(all.items);
      expect(all.items.find((s) => s.id === aliceSpins[0]?.id)).toEqual(aliceSpins[0]);
      expect(latestTwo.items).toHaveLength(2);
      for (const item of latestTwo.items) expect(all.items).toContainEqual(item);
      expectNewestFirst([...latestTwo.items, ...all.items.slice(2)]);
      expect(bobs.items).toEqual([]);
    });

    it.each([['limit=0'], ['limit=101'], ['limit=many'], ['limit=1.5']])(
      'GET /api/slots/spins?%s: 400',
      async (query) => {
        const response = await h.send('listSpins', { token: alice.token, query });

        h.expectProblem(response, 400, 'about:blank');
      },
    );

    it('GET /api/slots/spins accepts limit=100', async () => {
      const history = h.expectStatus(
        await h.send('listSpins', { token: alice.token, query: { limit: 100 } }),
        200,
      );

      expect(history.items.length).toBe(aliceSpins.length);
    });

    it.each([
      ['below minBet', (m: Machine) => m.minBet - 1],
      ['above maxBet', (m: Machine) => m.maxBet + 1],
      ['a fraction', (m: Machine) => m.minBet + 0.5],
      ['a numeric string', (m: Machine) => String(m.minBet)],
      ['null', () => null],
      ['missing', () => undefined],
    ])('rejects a bet %s: 422 naming bet, and nothing is debited', async (_case, bet) => {
      const before = await balanceOf(alice);

      const response = await h.send('createSpin', {
        token: alice.token,
        json: { bet: bet(machine) },
      });

      expect(mentionsField(h.expectProblem(response, 422, '/problems/validation'), 'bet')).toBe(
        true,
      );
      expect(await balanceOf(alice)).toBe(before);
    });

    it('rejects a malformed, non-JSON or oversize spin body: 400, 415, 413', async () => {
      await h.expectUnreadableBodiesRefused('createSpin', { token: alice.token });
    });

    /**
     * Spins maxBet on a fresh wallet, in concurrent rounds, until the server refuses one.
     * Returns the final balance, or null when a jackpot put draining out of reach of the
     * budget (about 2% of wallets on a 95% machine): the caller then tries a fresh wallet.
     * Every round asserts that no credit was lost or invented, whatever the outcome.
     */
    async function drainUntilRefused(player: Player): Promise<number | null> {
      let balance = await balanceOf(player);
      const budget = drainBudget(machine, balance);
      for (let spins = 0; spins < budget; ) {
        // One more spin than the balance covers, so a round of losses must end in a 409.
        const round = Math.min(MAX_CONCURRENT_SPINS, Math.floor(balance / machine.maxBet) + 1);
        const responses = await Promise.all(
          Array.from({ length: round }, () => spin(player, machine.maxBet)),
        );
        spins += round;
        const expected = balance + responses.reduce((sum, r) => sum + netWin(h, machine, r), 0);
        balance = await balanceOf(player);
        expect(balance, 'credits were lost or invented by concurrent spins').toBe(expected);
        if (responses.some((r) => r.status === 409)) return balance;
      }
      return null;
    }

    it('concurrent maxBet spins never overdraw a wallet; once it cannot cover the bet: 409', {
      timeout: 300_000,
    }, async () => {
      let player = await h.newPlayer();
      let balance = await drainUntilRefused(player);
      for (let attempt = 2; balance === null && attempt <= DRAIN_ATTEMPTS; attempt += 1) {
        player = await h.newPlayer();
        balance = await drainUntilRefused(player);
      }

      expect(balance, `no wallet of ${DRAIN_ATTEMPTS} was ever refused a spin`).not.toBeNull();
      expect(balance).toBeLessThan(machine.maxBet);
      const again = await spin(player, machine.maxBet);
      h.expectProblem(again, 409, '/problems/insufficient-credits');
      expect(await balanceOf(player)).toBe(balance);
    });

    it('GET /api/slots/leaderboard ranks at most ten wallets by balance, ties by username', async () => {
      const aliceBalance = await balanceOf(alice);

      // Later stages build the leaderboard from events, so it may lag a moment behind.
      await vi.waitFor(
        async () => {
          const { items } = h.expectStatus(await h.send('getLeaderboard'), 200);
          expectRanked(items);
          if (items.length < 10) {
            // Not full: every wallet is on the board, this suite's players included.
            expect(items.find((entry) => entry.userId === alice.id)?.balance).toBe(aliceBalance);
          }
        },
        { timeout: 15_000, interval: 500 },
      );
    });
  });
}

/** The change a spin made to the wallet: payout − bet, or 0 for an insufficient-credits refusal. */
function netWin(h: Harness, machine: Machine, response: ContractResponse<'createSpin'>): number {
  if (response.status === 409) {
    h.expectProblem(response, 409, '/problems/insufficient-credits');
    return 0;
  }
  const result = h.expectStatus(response, 201);
  expectSpinFollowsMachine(machine, result);
  return result.payout - result.bet;
}

/** Ranks start at 1, balances never increase, equal balances are ordered by username. */
function expectRanked(items: readonly components['schemas']['LeaderboardEntry'][]): void {
  expect(new Set(items.map((entry) => entry.userId)).size, 'a wallet is listed twice').toBe(
    items.length,
  );
  if (items[0]) expect(items[0].rank).toBe(1);
  for (let index = 1; index < items.length; index += 1) {
    const [previous, entry] = [items[index - 1], items[index]];
    if (!previous || !entry) continue;
    expect(entry.balance).toBeLessThanOrEqual(previous.balance);
    expect(entry.rank).toBeGreaterThanOrEqual(previous.rank);
    expect(entry.rank).toBeLessThanOrEqual(index + 1);
    if (entry.balance === previous.balance) {
      expect(
        inUsernameOrder(previous.username, entry.username),
        `${previous.username} before ${entry.username}`,
      ).toBe(true);
    }
  }
}

/** Ties are ordered by username; accept the two collations a database commonly uses. */
function inUsernameOrder(a: string, b: string): boolean {
  return a < b || a.toLowerCase() < b.toLowerCase() || a === b;
}
