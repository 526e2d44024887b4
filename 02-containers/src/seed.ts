import { DEMO_PASSWORD, demoSpins, demoThreads } from '@course/monolith/seed';
import { machine } from '@course/monolith/slots';
import { createLogger, hashPassword, parseConfig } from '@course/service-kit';
import { createDb as createSlotsDb, slotsServiceStore } from '@course/strangler/slots';
import { z } from 'zod';
import { createForumDb } from './forum/db.ts';
import { forumServiceStore } from './forum/store.ts';
import { SERVICES } from './services.ts';
import { createUsersDb } from './users/db.ts';

/*
 * Stage 00's demo data, spread over the three services' databases. With no shared users table
 * to join, the same player must have the same id in every database, so the demo players' ids
 * are fixed here instead of drawn at insert time.
 */
export const demoPlayers = [
  { id: '0a1e7c3e-5b1d-4c57-9a8e-3f0d2b6c1a01', username: 'alice' },
  { id: '0a1e7c3e-5b1d-4c57-9a8e-3f0d2b6c1a02', username: 'bob' },
  { id: '0a1e7c3e-5b1d-4c57-9a8e-3f0d2b6c1a03', username: 'carol' },
] as const;

type Seeded = 'seeded' | 'skipped';

function playerNamed(username: string) {
  const player = demoPlayers.find((candidate) => candidate.username === username);
  if (!player) throw new Error(`no demo player named ${username}`);
  return player;
}

/** Seeds are idempotent: a database that already has rows is left alone. */
export const seeds = {
  async users(databaseUrl: string): Promise<Seeded> {
    const db = createUsersDb(databaseUrl, 2);
    try {
      if ((await db.user.count()) > 0) return 'skipped';
      const passwordHash = await hashPassword(DEMO_PASSWORD);
      await db.user.createMany({
        data: demoPlayers.map((player) => ({ ...player, passwordHash })),
      });
      return 'seeded';
    } finally {
      await db.$disconnect();
    }
  },

  async forum(databaseUrl: string): Promise<Seeded> {
    const db = createForumDb(databaseUrl, 2);
    try {
      if ((await db.thread.count()) > 0) return 'skipped';
      const store = forumServiceStore(db);
      for (const { author, title, body, replies } of demoThreads) {
        const thread = await store.insertThread({ author: playerNamed(author), title, body });
        for (const reply of replies) {
          await store.insertPost({
            threadId: thread.id,
            author: playerNamed(reply.author),
            body: reply.body,
          });
        }
      }
      return 'seeded';
    } finally {
      await db.$disconnect();
    }
  },

  async slots(databaseUrl: string): Promise<Seeded> {
    const db = createSlotsDb(databaseUrl, 2);
    try {
      if ((await db.wallet.count()) > 0) return 'skipped';
      // Real spins through the real settlement path, so the leaderboard starts with history.
      const store = slotsServiceStore(db);
      for (const player of demoPlayers) await store.ensureWallet(player, machine.startingBalance);
      for (const { username, ...spin } of demoSpins(demoPlayers.map((p) => p.username))) {
        await store.settleSpin({ userId: playerNamed(username).id, ...spin });
      }
      return 'seeded';
    } finally {
      await db.$disconnect();
    }
  },
};

// Run as a program by the stage runner: `node --import tsx src/seed.ts <users|forum|slots>`.
if (import.meta.main) {
  const { DATABASE_URL, service } = parseConfig(
    z.object({ DATABASE_URL: z.string().min(1), service: z.enum(SERVICES) }),
    { ...process.env, service: process.argv[2] },
  );
  const log = createLogger({ service: `seed-${service}` });
  log.info({ result: await seeds[service](DATABASE_URL) }, 'demo data');
}
