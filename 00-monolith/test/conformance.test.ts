import { defineConformanceSuite, defineFuzzSuite } from '@course/contract';
import { afterAll, beforeAll } from 'vitest';
import {
  type RunningMonolith,
  startDatabase,
  startMonolith,
  type TestDatabase,
} from './support.ts';

// The same suite runs against every stage; here it proves the monolith meets the contract.
let pg: TestDatabase;
let app: RunningMonolith;

beforeAll(async () => {
  pg = await startDatabase();
  app = await startMonolith(pg.url);
});

afterAll(async () => {
  await app?.close();
  await pg?.stop();
});

defineConformanceSuite({ baseUrl: () => app.url });
defineFuzzSuite({ baseUrl: () => app.url });
