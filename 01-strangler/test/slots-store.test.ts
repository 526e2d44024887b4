import { fileURLToPath } from 'node:url';
import { filesOfPackages, importGraph, startTestDatabase, type TestDatabase } from '@course/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type SlotsDatabase, slotsServiceStore } from '../src/slots/storage.ts';

const here = fileURLToPath(new URL('..', import.meta.url));
const ADA = { id: '0b9b4a0e-6f8e-4d8a-9d6c-2f1f6b1f7a11', username: 'ada' };

describe('@course/strangler/slots/store', () => {
  it('bundles without express or helmet, so a Lambda function can use it', async () => {
    const graph = await importGraph('@course/strangler/slots/store', import.meta.dirname);

    expect(graph.some((file) => file.endsWith('01-strangler/src/slots/store.ts'))).toBe(true);
    expect(filesOfPackages(graph, ['express', 'helmet'])).toEqual([]);
  });

  describe('createDb', () => {
    let database: TestDatabase;
    let db: SlotsDatabase | undefined;

    beforeAll(async () => {
      database = await startTestDatabase({
        schemaPath: `${here}prisma/schema.prisma`,
        migrationsDir: `${here}prisma/migrations`,
        name: 'slots_store_test',
      });
    }, 60_000);
    afterAll(async () => {
      await db?.$disconnect();
      await database?.stop();
    });

    it('connects with a pg pool config, whose password may be a function, as with a URL', async () => {
      const url = new URL(database.url);
      db = createDb({
        host: url.hostname,
        port: Number(url.port),
        user: decodeURIComponent(url.username),
        database: url.pathname.slice(1),
        // What RDS IAM authentication passes: a function pg calls for each new connection.
        password: async () => decodeURIComponent(url.password),
        max: 1,
      });
      const store = slotsServiceStore(db);

      await store.ensureWallet(ADA, 100);

      expect(await store.readBalance(ADA.id)).toBe(100);
    });
  });
});
