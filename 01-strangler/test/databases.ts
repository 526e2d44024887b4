import { fileURLToPath } from 'node:url';
import { startTestDatabase, type TestDatabase } from '@course/local';
import { createDb as createMonolithDb } from '@course/monolith/db';
import { monolithDatabase } from '@course/monolith/stage';
import { createDb as createSlotsDb } from '../src/slots/db.ts';
import type { WalletDatabases } from '../src/wallets/handoff.ts';

const here = fileURLToPath(new URL('..', import.meta.url));

export interface StranglerDatabases {
  urls: { monolith: string; slots: string };
  dbs: WalletDatabases;
  stop(): Promise<void>;
}

/** The stage's two databases, fresh and migrated (on TEST_POSTGRES_URL's server if set). */
export async function startDatabases(): Promise<StranglerDatabases> {
  const started: TestDatabase[] = [];
  const monolith = await startTestDatabase({ ...monolithDatabase, name: 'monolith_test' });
  started.push(monolith);
  const slots = await startTestDatabase({
    schemaPath: `${here}prisma/schema.prisma`,
    migrationsDir: `${here}prisma/migrations`,
    name: 'slots_test',
  });
  started.push(slots);
  const dbs = { monolith: createMonolithDb(monolith.url), slots: createSlotsDb(slots.url) };
  return {
    urls: { monolith: monolith.url, slots: slots.url },
    dbs,
    async stop() {
      await Promise.all([dbs.monolith.$disconnect(), dbs.slots.$disconnect()]);
      await Promise.all(started.map((db) => db.stop()));
    },
  };
}
