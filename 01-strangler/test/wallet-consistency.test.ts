import { machine } from '@course/monolith/slots';
import { describe, expect, it } from 'vitest';
import { walletOwner } from '../src/wallets/ownership.ts';
import { balanceOf, type Player, register, type SpinAnswer, spin } from './players.ts';
import { type RunningStrangler, stranglerForThisFile } from './support.ts';

const SERVICE_OF = { monolith: 'monolith@01 (process)', slots: 'slots@01 (process)' } as const;

/**
 * Each player plays `rounds` spins at once; every other one is sent twice with one key, and both
 * answers must be the same spin (a double charge would show as two different spins).
 */
async function playConcurrently(url: string, players: Player[], rounds: number) {
  return Promise.all(
    players.map(async (player) => {
      const groups = await Promise.all(
        Array.from({ length: rounds }, (_, round) => {
          if (round % 2 === 0) return Promise.all([spin(url, player, 5)]);
          const key = crypto.randomUUID();
          return Promise.all([spin(url, player, 5, key), spin(url, player, 5, key)]);
        }),
      );
      for (const [first, retry] of groups) {
        if (retry) expect(retry.spin?.id).toBe(first?.spin?.id);
      }
      return { player, answers: groups.flat() };
    }),
  );
}

/** The sum of payout − bet over the distinct spins a player was answered with. */
function netOf(answers: SpinAnswer[]): number {
  const spins = new Map(answers.flatMap((a) => (a.spin ? [[a.spin.id, a.spin.net]] : [])));
  return [...spins.values()].reduce((sum, net) => sum + net, 0);
}

async function walletHomes(stage: RunningStrangler, playerId: string) {
  const { monolith, slots } = stage.databases.dbs;
  const [inMonolith, inSlots, spinsInSlots] = await Promise.all([
    monolith.wallet.findUnique({ where: { userId: playerId } }),
    slots.wallet.findUnique({ where: { userId: playerId } }),
    slots.spin.count({ where: { userId: playerId } }),
  ]);
  return { monolith: inMonolith?.balance, slots: inSlots?.balance, spinsInSlots };
}

describe.for([0, 50, 100])('with %s percent of the players on the slots service', (share) => {
  const stage = stranglerForThisFile(share);
  const owner = walletOwner(share);

  it('concurrent spins and retries make and lose no credits, and each wallet lives only with its owner', {
    timeout: 60_000,
  }, async () => {
    const players = await Promise.all(Array.from({ length: 24 }, () => register(stage.url)));

    const played = await playConcurrently(stage.url, players, 10);

    const servedBy = new Set<string>();
    for (const { player, answers } of played) {
      const home = owner(player.id);
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
      // Sticky: every request of a player met the implementation that owns its wallet.
      expect(new Set(answers.map((a) => a.servedBy))).toEqual(new Set([SERVICE_OF[home]]));
      servedBy.add(SERVICE_OF[home]);

      const expected = machine.startingBalance + netOf(answers);
      expect(await balanceOf(stage.url, player)).toBe(expected);
      const homes = await walletHomes(stage, player.id);
      expect(homes[home]).toBe(expected);
      expect(homes[home === 'slots' ? 'monolith' : 'slots']).toBeUndefined();
      if (home === 'monolith') expect(homes.spinsInSlots).toBe(0);
    }
    if (share === 50) expect(servedBy.size, 'both implementations served players').toBe(2);
  });

  it('the leaderboard ranks the wallets of both databases together', async () => {
    const { monolith, slots } = stage.databases.dbs;
    const balances = [
      ...(await monolith.wallet.findMany({ select: { balance: true } })),
      ...(await slots.wallet.findMany({ select: { balance: true } })),
    ].map((w) => w.balance);

    const response = await fetch(`${stage.url}/api/slots/leaderboard`);
    const { items } = (await response.json()) as { items: { balance: number }[] };

    expect(response.status).toBe(200);
    expect(items.map((entry) => entry.balance)).toEqual(
      balances.sort((a, b) => b - a).slice(0, 10),
    );
  });
});

describe('moving the share', () => {
  const stage = stranglerForThisFile(0);

  it('0 → 50 → 100 → 0 with the handoff keeps every balance and every spin', {
    timeout: 60_000,
  }, async () => {
    const players = await Promise.all(Array.from({ length: 16 }, () => register(stage.url)));
    const expected = new Map(players.map((p) => [p.id, machine.startingBalance]));
    const spins = new Map(players.map((p) => [p.id, 0]));

    for (const [step, share] of [0, 50, 100, 0].entries()) {
      if (step > 0) await stage.moveShare(share);
      for (const { player, answers } of await playConcurrently(stage.url, players, 4)) {
        expected.set(player.id, (expected.get(player.id) ?? 0) + netOf(answers));
        spins.set(
          player.id,
          (spins.get(player.id) ?? 0) + new Set(answers.map((a) => a.spin?.id)).size,
        );
      }
      for (const player of players) {
        expect(await balanceOf(stage.url, player), `${player.username} at ${share} %`).toBe(
          expected.get(player.id),
        );
        const history = await fetch(`${stage.url}/api/slots/spins?limit=100`, {
          headers: { authorization: `Bearer ${player.token}` },
        });
        const { items } = (await history.json()) as { items: unknown[] };
        expect(items).toHaveLength(spins.get(player.id) ?? -1);
      }
    }
  });
});
