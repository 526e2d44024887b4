import { seededRandom } from '@course/slot-machine';
import { describe, expect, it } from 'vitest';
import { settleSpin } from '../src/slots/data.ts';
import { machine } from '../src/slots/domain.ts';
import { bearer, jsonPost, monolithForThisFile, signUp } from './support.ts';

interface SpinBody {
  id: string;
  bet: number;
  payout: number;
  balance: number;
}

const app = monolithForThisFile({ rng: seededRandom(42), env: { DB_POOL_MAX: '10' } });

function spinRequest(token: string, bet: number, key?: string) {
  const headers = { ...bearer(token), ...(key ? { 'idempotency-key': key } : {}) };
  return fetch(`${app.url}/api/slots/spins`, jsonPost({ bet }, headers));
}

async function balanceOf(token: string): Promise<number> {
  const res = await fetch(`${app.url}/api/slots/wallet`, { headers: bearer(token) });
  return ((await res.json()) as { balance: number }).balance;
}

describe('spins under concurrency', () => {
  it('never overdraws a wallet and never loses or duplicates credits across rounds of 200 concurrent spins', async () => {
    // Arrange: five players, each about to fire rounds of 40 maximum bets at once — four times
    // what a wallet holds. Wins can keep a wallet going for a while (the paytable returns 37/39,
    // with jackpots: all five wallets survive one round about once in a hundred runs), so the
    // rounds go on until some spin has been refused.
    const players = await Promise.all(Array.from({ length: 5 }, () => signUp(app.url)));
    const start = await Promise.all(players.map((p) => balanceOf(p.token)));
    const spinRound = () =>
      Promise.all(
        players.flatMap((player) =>
          Array.from({ length: 40 }, async () => {
            const res = await spinRequest(player.token, machine.maxBet);
            return { player, status: res.status, body: (await res.json()) as SpinBody };
          }),
        ),
      );

    // Act: at most 5 rounds (all five wallets surviving 200 maximum bets: about 1 in 20,000).
    const results: Awaited<ReturnType<typeof spinRound>> = [];
    for (let round = 0; round < 5 && !results.some((r) => r.status === 409); round++) {
      results.push(...(await spinRound()));
    }

    // Assert: every request is either a settled spin or a clean 409, never anything else.
    expect(
      results.map((r) => r.status).filter((status) => status !== 201 && status !== 409),
    ).toEqual([]);
    expect(
      results.some((r) => r.status === 409),
      'lost update: no spin was refused in up to five rounds of 40 maximum bets per wallet, ' +
        'so concurrent spins read the same balance and each wrote over the others',
    ).toBe(true);
    for (const [i, player] of players.entries()) {
      const accepted = results
        .filter((r) => r.player === player && r.status === 201)
        .map((r) => r.body);
      const expected = (start[i] ?? 0) - accepted.reduce((sum, s) => sum + s.bet - s.payout, 0);
      expect(
        await balanceOf(player.token),
        'lost update: the balance is not the starting credits plus the net of every accepted ' +
          'spin, so one spin wrote over the balance another had just changed',
      ).toBe(expected);
      expect(
        expected,
        'overdrawn: the accepted spins bet more than the wallet held',
      ).toBeGreaterThanOrEqual(0);
      expect(accepted.every((s) => s.balance >= 0)).toBe(true);
      const stored = await app.db.spin.findMany({
        where: { userId: player.id },
        select: { id: true },
      });
      expect(stored.map((s) => s.id).sort()).toEqual(accepted.map((s) => s.id).sort());
    }
  });

  it('settles a spin exactly once when the same Idempotency-Key is sent 20 times at once', async () => {
    const player = await signUp(app.url);
    const before = await balanceOf(player.token);

    const responses = await Promise.all(
      Array.from({ length: 20 }, () => spinRequest(player.token, 7, 'retry-me')),
    );
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as SpinBody[];

    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(
      19,
    );
    const first = bodies[0] as SpinBody;
    expect(await balanceOf(player.token)).toBe(before - 7 + first.payout);
  });

  it('answers a retry racing its original with the original spin, even when it spent the wallet', async () => {
    // Arrange: a wallet that holds exactly one bet, so the retry's debit cannot match.
    const player = await signUp(app.url);
    await balanceOf(player.token);
    await app.db.wallet.update({ where: { userId: player.id }, data: { balance: 7 } });
    const spin = { userId: player.id, bet: 7, payout: 0, reels: ['bell', 'star', 'robot'] };

    // Act: the original and its retry reach the database together.
    const outcomes = await Promise.all([
      settleSpin(app.db, { ...spin, idempotencyKey: 'raced' }),
      settleSpin(app.db, { ...spin, idempotencyKey: 'raced' }),
    ]);

    // Assert: one settled, one replayed, the same spin, one debit.
    expect(outcomes.map((o) => o.kind).sort()).toEqual(['replayed', 'settled']);
    const ids = outcomes.map((o) => (o.kind === 'insufficient-credits' ? null : o.spin.id));
    expect(ids[0]).toBe(ids[1]);
    expect(await balanceOf(player.token)).toBe(0);
  });

  it('rejects a reused Idempotency-Key with a different bet and changes nothing', async () => {
    const player = await signUp(app.url);
    await spinRequest(player.token, 5, 'one-key');
    const after = await balanceOf(player.token);

    const res = await spinRequest(player.token, 6, 'one-key');

    expect(res.status).toBe(422);
    expect(((await res.json()) as { type: string }).type).toBe('/problems/idempotency-key-reused');
    expect(await balanceOf(player.token)).toBe(after);
  });
});
