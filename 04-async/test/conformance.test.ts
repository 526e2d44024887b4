import { defineConformanceSuite, defineFuzzSuite } from '@course/contract';
import { asyncStageForThisFile } from './support.ts';

// The contract suite, through the gateway: stage 03's topology, with slots now publishing events
// and the leaderboard read from its projection — and, declared as stage 04, the operations that
// exist from this stage on (the titles shop, whose purchases run as a Step Functions saga).
const stage = asyncStageForThisFile();

defineConformanceSuite({ baseUrl: () => stage.url, stage: '04' });
defineFuzzSuite({ baseUrl: () => stage.url, stage: '04' });
