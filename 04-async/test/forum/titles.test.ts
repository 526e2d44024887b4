import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cancelGrant, currentTitles, grantTitle } from '../../src/forum/titles.ts';
import { forumDatabaseForThisFile } from '../fixtures.ts';

const database = forumDatabaseForThisFile();

const player = () => ({ userId: randomUUID(), username: 'alice' });
const grantedRows = (userId: string) =>
  database.db.titleGrant.count({ where: { userId, status: 'granted' } });

describe('grantTitle', () => {
  it('grants a title once per purchase, however often the same grant arrives', async () => {
    const purchaseId = randomUUID();
    const request = { ...player(), titleId: 'lucky-seven' };

    const first = await grantTitle(database.db, purchaseId, request);
    const again = await grantTitle(database.db, purchaseId, request);

    expect(first).toEqual({ outcome: 'granted' });
    expect(again).toEqual({ outcome: 'granted' });
    expect(await grantedRows(request.userId)).toBe(1);
  });

  it('refuses a second purchase of a title the player already holds', async () => {
    const buyer = player();
    await grantTitle(database.db, randomUUID(), { ...buyer, titleId: 'high-roller' });

    const second = await grantTitle(database.db, randomUUID(), {
      ...buyer,
      titleId: 'high-roller',
    });

    expect(second).toEqual({ outcome: 'refused', reason: 'already-owned' });
    expect(await grantedRows(buyer.userId)).toBe(1);
  });

  it('lets another player buy the same title, and the same player another title', async () => {
    const alice = player();
    const bob = player();
    await grantTitle(database.db, randomUUID(), { ...alice, titleId: 'lucky-seven' });

    const bobs = await grantTitle(database.db, randomUUID(), { ...bob, titleId: 'lucky-seven' });
    const alicesOther = await grantTitle(database.db, randomUUID(), {
      ...alice,
      titleId: 'high-roller',
    });

    expect(bobs).toEqual({ outcome: 'granted' });
    expect(alicesOther).toEqual({ outcome: 'granted' });
  });

  it('grants exactly one of many purchases of the same title by one player at the same moment', async () => {
    const buyer = player();

    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        grantTitle(database.db, randomUUID(), { ...buyer, titleId: 'lucky-seven' }),
      ),
    );

    expect(results.filter((result) => result.outcome === 'granted')).toHaveLength(1);
    expect(results.filter((result) => result.outcome === 'refused')).toEqual(
      Array.from({ length: 7 }, () => ({ outcome: 'refused', reason: 'already-owned' })),
    );
    expect(await grantedRows(buyer.userId)).toBe(1);
  });

  it('refuses the grant of a purchase that grants another player or title', async () => {
    const purchaseId = randomUUID();
    const buyer = player();
    await grantTitle(database.db, purchaseId, { ...buyer, titleId: 'lucky-seven' });

    const otherTitle = await grantTitle(database.db, purchaseId, {
      ...buyer,
      titleId: 'high-roller',
    });

    expect(otherTitle).toEqual({ outcome: 'refused', reason: 'mismatch' });
  });
});

describe('cancelGrant', () => {
  it('revokes a granted title, and says so again when asked again', async () => {
    const purchaseId = randomUUID();
    const buyer = player();
    await grantTitle(database.db, purchaseId, { ...buyer, titleId: 'lucky-seven' });

    const first = await cancelGrant(database.db, purchaseId);
    const again = await cancelGrant(database.db, purchaseId);

    expect([first, again]).toEqual(['revoked', 'revoked']);
    expect(await grantedRows(buyer.userId)).toBe(0);
  });

  it('leaves a tombstone for a purchase never granted, so that its late grant is refused', async () => {
    const purchaseId = randomUUID();
    const buyer = player();

    const cancelled = await cancelGrant(database.db, purchaseId);
    const lateGrant = await grantTitle(database.db, purchaseId, {
      ...buyer,
      titleId: 'lucky-seven',
    });

    expect(cancelled).toBe('cancelled');
    expect(lateGrant).toEqual({ outcome: 'refused', reason: 'cancelled' });
    expect(await grantedRows(buyer.userId)).toBe(0);
  });

  it('refuses the grant of a revoked purchase, and lets the player buy the title again', async () => {
    const revokedPurchase = randomUUID();
    const buyer = player();
    await grantTitle(database.db, revokedPurchase, { ...buyer, titleId: 'high-roller' });
    await cancelGrant(database.db, revokedPurchase);

    const replayed = await grantTitle(database.db, revokedPurchase, {
      ...buyer,
      titleId: 'high-roller',
    });
    const boughtAgain = await grantTitle(database.db, randomUUID(), {
      ...buyer,
      titleId: 'high-roller',
    });

    expect(replayed).toEqual({ outcome: 'refused', reason: 'cancelled' });
    expect(boughtAgain).toEqual({ outcome: 'granted' });
  });

  it('never leaves a title granted when its grant and its cancellation race', async () => {
    const buyer = player();
    const purchases = Array.from({ length: 6 }, () => randomUUID());

    await Promise.all(
      purchases.flatMap((purchaseId) => [
        grantTitle(database.db, purchaseId, { ...buyer, titleId: 'reel-legend' }),
        cancelGrant(database.db, purchaseId),
      ]),
    );

    const rows = await database.db.titleGrant.findMany({
      where: { purchaseId: { in: purchases } },
    });
    expect(rows.map((row) => row.status)).toEqual(purchases.map(() => 'cancelled'));
  });
});

describe('currentTitles', () => {
  it("names each player's most recently granted title, and none for a player without one", async () => {
    const alice = player();
    const bob = player();
    const carol = player();
    const earlier = randomUUID();
    await grantTitle(database.db, earlier, { ...alice, titleId: 'lucky-seven' });
    // Granted a minute before the next one: two grants can fall in the same millisecond.
    await database.db.titleGrant.update({
      where: { purchaseId: earlier },
      data: { grantedAt: new Date(Date.now() - 60_000) },
    });
    await grantTitle(database.db, randomUUID(), { ...alice, titleId: 'high-roller' });
    await grantTitle(database.db, randomUUID(), { ...bob, titleId: 'lucky-seven' });
    const revoked = randomUUID();
    await grantTitle(database.db, revoked, { ...bob, titleId: 'reel-legend' });
    await cancelGrant(database.db, revoked);

    const titles = await currentTitles(database.db, [alice.userId, bob.userId, carol.userId]);

    expect(Object.fromEntries(titles)).toEqual({
      [alice.userId]: 'High Roller',
      [bob.userId]: 'Lucky Seven',
    });
  });
});
