import { findSpinByKey, listSpins, readBalance, settleSpin } from '@course/monolith/slots/data';
import type { LeaderboardEntry, SlotsStore } from '@course/monolith/slots/use-cases';
import type { SlotsDatabase } from './db.ts';

/**
 * The slots store over the service's own database. Spins and the money-moving transaction are
 * the monolith's code, unchanged (they only touch the wallets and spins tables). What differs is
 * what the monolith got from its users table: the username now travels in the token and is
 * kept on the wallet, and a wallet no longer proves that its user exists.
 */
export function slotsServiceStore(db: SlotsDatabase): SlotsStore {
  return {
    async ensureWallet(player, startingBalance) {
      await db.wallet.createMany({
        data: [{ userId: player.id, username: player.username, balance: startingBalance }],
        skipDuplicates: true,
      });
      return true;
    },
    readBalance: (userId) => readBalance(db, userId),
    findSpinByKey: (userId, key) => findSpinByKey(db, userId, key),
    settleSpin: (spin) => settleSpin(db, spin),
    listSpins: (userId, limit) => listSpins(db, userId, limit),
    topWallets: (limit) => topWallets(db, limit),
  };
}

async function topWallets(db: SlotsDatabase, limit: number): Promise<LeaderboardEntry[]> {
  const rows = await db.wallet.findMany({
    orderBy: [{ balance: 'desc' }, { username: 'asc' }],
    take: limit,
    select: { userId: true, username: true, balance: true },
  });
  return rows.map((row, i) => ({ rank: i + 1, ...row }));
}
