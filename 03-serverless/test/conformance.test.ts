import { defineConformanceSuite, defineFuzzSuite } from '@course/contract';
import { stageForThisFile } from './support.ts';

// The unchanged contract suite, through the gateway: users and the forum as processes, slots as
// Lambda functions behind the local HTTP API.
const stage = stageForThisFile();

defineConformanceSuite({ baseUrl: () => stage.url });
defineFuzzSuite({ baseUrl: () => stage.url });
