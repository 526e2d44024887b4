import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseDomainEvent } from '@course/contract/events';
import { describe, expect, it } from 'vitest';
import { BACKFILL_TRACE_ID, backfillWalletEvents } from '../../src/slots/seed.ts';
import { asyncSlotsStore } from '../../src/slots/store.ts';
import { newPlayer, slotsDatabaseForThisFile, slotsPrisma } from './support.ts';

/*
 * Stage 04's slots database: stage 01's migration kept as it was, and the seed that brings wallets
 * written without events onto the event stream (and so onto the leaderboard).
 */

const database = slotsDatabaseForThisFile('slots_seed_test');

async function walletOpenedOf(playerId: string) {
  const rows = await database.db.outboxEvent.findMany({
    where: { type: 'WalletOpened' },
    orderBy: { position: 'asc' },
  });
  return rows
    .map((row) => ({ position: row.position, event: parseDomainEvent(row.event) }))
    .filter(({ event }) => event.data.playerId === playerId);
}

describe("stage 04's slots migrations", () => {
  it("keep stage 01's init migration byte for byte (the outbox and the leaderboard come after it)", async () => {
    const init = '20261122044337_init/migration.sql';
    const stage01 = fileURLToPath(
      new URL(`../../../01-strangler/prisma/migrations/${init}`, import.meta.url),
    );

    const [ours, theirs] = await Promise.all([
      readFile(`${slotsPrisma.migrationsDir}/${init}`),
      readFile(stage01),
    ]);

    expect(ours.equals(theirs)).toBe(true);
  });
});

describe('the WalletOpened backfill', () => {
  // First in this file: stage 02's seed adds its demo data to an empty database only.
  it("runs as the stage's seed program: stage 02's demo wallets, each with its WalletOpened", async () => {
    const run = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../../src/slots/seed.ts', import.meta.url))],
      { env: { PATH: process.env.PATH, DATABASE_URL: database.url, LOG_LEVEL: 'info' } },
    );

    expect(run.stdout).toContain('demo data and wallet events');
    const wallets = await database.db.wallet.findMany();
    for (const wallet of wallets) {
      const [walletOpened, ...more] = await walletOpenedOf(wallet.userId);
      expect(more).toEqual([]);
      // The balance after the demo spins: the wallet enters the stream as it is now.
      expect(walletOpened?.event).toMatchObject({
        traceId: BACKFILL_TRACE_ID,
        data: { username: wallet.username, balance: wallet.balance },
      });
    }
    expect(wallets.map((wallet) => wallet.username)).toEqual(
      expect.arrayContaining(['alice', 'bob', 'carol']),
    );
  });

  it('writes one WalletOpened, with its balance, for each wallet that has none, and none on a second run', async () => {
    // Arrange: a wallet written directly (as stage 02's seed does) and one opened with its event.
    const direct = newPlayer();
    await database.db.wallet.create({
      data: { userId: direct.id, username: direct.username, balance: 1234 },
    });
    const opened = newPlayer();
    await asyncSlotsStore(database.db, { traceId: 'opened' }).ensureWallet(opened, 1000);

    // Act
    const first = await backfillWalletEvents(database.db);
    const second = await backfillWalletEvents(database.db);

    // Assert
    expect(first).toBe(1);
    expect(second).toBe(0);
    expect((await walletOpenedOf(direct.id)).map(({ event }) => event)).toEqual([
      expect.objectContaining({
        traceId: BACKFILL_TRACE_ID,
        data: expect.objectContaining({ username: direct.username, balance: 1234 }),
      }),
    ]);
    expect(await walletOpenedOf(opened.id)).toHaveLength(1);
  });
});
