import { defineConformanceSuite } from '@course/contract';
import { stageForThisFile } from './support.ts';

// The unchanged contract suite, through the gateway, against the three services.
const stage = stageForThisFile();
defineConformanceSuite({ baseUrl: () => stage.url });
