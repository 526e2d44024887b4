import { defineConformanceSuite, defineFuzzSuite } from '@course/contract';
import { monolithForThisFile } from './support.ts';

// The same suite runs against every stage; here it proves the monolith meets the contract.
const app = monolithForThisFile();

defineConformanceSuite({ baseUrl: () => app.url });
defineFuzzSuite({ baseUrl: () => app.url });
