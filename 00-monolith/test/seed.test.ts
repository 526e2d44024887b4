import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createDb } from '../src/db.ts';
import { DEMO_PASSWORD, seed } from '../src/seed.ts';
import { machine } from '../src/slots/domain.ts';
import { jsonPost, monolithDir, monolithForThisFile, startDatabase } from './support.ts';

const app = monolithForThisFile();

describe('demo data', () => {
  it('is seeded once; a second run changes nothing', async () => {
    expect(await seed(app.db)).toBe('seeded');
    const counts = async () => [
      await app.db.user.count(),
      await app.db.thread.count(),
      await app.db.post.count(),
      await app.db.spin.count(),
    ];
    const first = await counts();

    expect(await seed(app.db)).toBe('skipped');
    expect(await counts()).toEqual(first);
    expect(first.every((n) => n > 0)).toBe(true);
  });

  it('lets a demo user log in with the documented password', async () => {
    const res = await fetch(
      `${app.url}/api/sessions`,
      jsonPost({ username: 'alice', password: DEMO_PASSWORD }),
    );
    expect(res.status).toBe(200);
  });

  it('gives every demo wallet the balance its spin history adds up to', async () => {
    const wallets = await app.db.wallet.findMany({
      include: { user: { include: { spins: true } } },
    });
    expect(wallets).toHaveLength(3);
    for (const wallet of wallets) {
      const net = wallet.user.spins.reduce((sum, s) => sum + s.payout - s.bet, 0);
      expect(wallet.balance).toBe(machine.startingBalance + net);
    }
  });

  it('seeds when run as a program, as the stage runner runs it', async () => {
    const fresh = await startDatabase();
    try {
      await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/seed.ts'], {
        cwd: monolithDir,
        env: { ...process.env, DATABASE_URL: fresh.url, LOG_LEVEL: 'silent' },
      });
      const db = createDb(fresh.url, 1);
      expect(await db.user.count()).toBe(3);
      await db.$disconnect();
    } finally {
      await fresh.stop();
    }
  });
});
