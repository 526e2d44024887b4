import type { AuthUser } from '@course/service-kit/core';
import { findTitle, type TitleId } from '../../src/purchases/catalog.ts';
import { insertPurchase, type PurchaseRecord } from '../../src/purchases/record.ts';
import type { PurchaseStepDeps } from '../../src/purchases/steps.ts';
import type { AsyncSlotsDatabase } from '../../src/slots/database.ts';
import { newPlayer } from '../slots/support.ts';

/** A player with a wallet holding `balance` credits. */
export async function playerWithWallet(db: AsyncSlotsDatabase, balance: number): Promise<AuthUser> {
  const player = newPlayer();
  await db.wallet.create({ data: { userId: player.id, username: player.username, balance } });
  return player;
}

/** A purchase record (status running), as the shop writes it before starting the saga. */
export async function purchaseOf(
  db: AsyncSlotsDatabase,
  player: AuthUser,
  titleId: TitleId = 'lucky-seven',
): Promise<PurchaseRecord> {
  const title = findTitle(titleId);
  if (!title) throw new Error(`no title ${titleId}`);
  const { purchase } = await insertPurchase(db, {
    id: crypto.randomUUID(),
    player,
    title,
    traceId: `req-${crypto.randomUUID()}`,
  });
  return purchase;
}

/** The steps' dependencies over `db`, keeping the ids of the events they published. */
export function stepDeps(db: AsyncSlotsDatabase) {
  const published: string[] = [];
  const deps: PurchaseStepDeps = {
    db,
    publish: async (ids) => {
      published.push(...ids);
    },
  };
  return { deps, published };
}

export async function balanceOf(db: AsyncSlotsDatabase, userId: string): Promise<number> {
  return (await db.wallet.findUniqueOrThrow({ where: { userId } })).balance;
}

/** The outbox's events about one purchase, in outbox order. */
export async function eventsOfPurchase(db: AsyncSlotsDatabase, purchaseId: string) {
  const rows = await db.outboxEvent.findMany({ orderBy: { position: 'asc' } });
  return rows
    .map((row) => row.event as { type: string; data: Record<string, unknown> })
    .filter((event) => event.data.purchaseId === purchaseId);
}
