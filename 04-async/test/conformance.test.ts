import { defineConformanceSuite, defineFuzzSuite } from '@course/contract';
import { asyncStageForThisFile } from './support.ts';

// The unchanged contract suite, through the gateway: stage 03's topology, with slots now
// publishing events and the leaderboard read from its projection.
const stage = asyncStageForThisFile();

defineConformanceSuite({ baseUrl: () => stage.url });
defineFuzzSuite({ baseUrl: () => stage.url });
