import { createLogger, hashPassword, parseConfig } from '@course/service-kit';
import { seededRandom, spin } from '@course/slot-machine';
import { z } from 'zod';
import { createDb, type Db } from './db.ts';
import { insertPost, insertThread } from './forum/data.ts';
import { ensureWallet, settleSpin } from './slots/data.ts';
import { machine } from './slots/domain.ts';
import { insertUser } from './users/data.ts';

/** Every demo account shares this password; the lab guide prints it. */
export const DEMO_PASSWORD = 'slots-and-forum';

export const demoThreads = [
  {
    author: 'alice',
    title: 'Welcome to the forum',
    body: 'This forum and the slot machine run in one process today. By stage 04 they will not.',
    replies: [
      { author: 'bob', body: 'Looking forward to pulling this monolith apart.' },
      { author: 'carol', body: 'Which service gets extracted first?' },
      { author: 'alice', body: 'Slots. It has the clearest boundary and its own data.' },
    ],
  },
  {
    author: 'bob',
    title: 'Three robots in a row!',
    body: 'Three robots pay twenty times the bet. Has anyone lined up three sevens yet? That pays a hundred.',
    replies: [{ author: 'carol', body: 'Only cherries so far. The RTP is on the machine page.' }],
  },
  {
    author: 'carol',
    title: 'How is the return-to-player computed?',
    body: 'Is it simulated or exact?',
    replies: [
      { author: 'alice', body: 'Exact: every combination of the three reel strips is counted.' },
    ],
  },
];

/** Each demo player's first spins: real draws from a seeded generator, the same on every run. */
export function* demoSpins(usernames: readonly string[]) {
  const rng = seededRandom(2017);
  for (const username of usernames) {
    for (let i = 0; i < 12; i++) {
      const bet = 10;
      const { reels, payout } = spin(bet, rng);
      yield { username, bet, payout, reels, idempotencyKey: `seed-${username}-${i}` };
    }
  }
}

/** Seeds demo data once: a database that already has users is left alone. */
export async function seed(db: Db): Promise<'seeded' | 'skipped'> {
  if ((await db.user.count()) > 0) return 'skipped';

  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const ids = new Map<string, string>();
  for (const username of ['alice', 'bob', 'carol']) {
    const user = await insertUser(db, { username, passwordHash });
    if (user) ids.set(username, user.id);
  }
  const idOf = (username: string) => ids.get(username) ?? '';

  for (const thread of demoThreads) {
    const created = await insertThread(db, {
      authorId: idOf(thread.author),
      title: thread.title,
      body: thread.body,
    });
    for (const reply of thread.replies) {
      await insertPost(db, {
        threadId: created.id,
        authorId: idOf(reply.author),
        body: reply.body,
      });
    }
  }

  // Real spins through the real settlement path, so the leaderboard starts with history.
  for (const userId of ids.values()) await ensureWallet(db, userId, machine.startingBalance);
  for (const { username, ...demoSpin } of demoSpins([...ids.keys()])) {
    await settleSpin(db, { userId: idOf(username), ...demoSpin });
  }
  return 'seeded';
}

// Run as a program (`node --import tsx src/seed.ts`, as the stage runner does), not on import.
if (import.meta.main) {
  const log = createLogger({ service: 'seed' });
  const { DATABASE_URL } = parseConfig(z.object({ DATABASE_URL: z.string().min(1) }));
  const db = createDb(DATABASE_URL, 2);
  try {
    log.info({ result: await seed(db) }, 'demo data');
  } finally {
    await db.$disconnect();
  }
}
