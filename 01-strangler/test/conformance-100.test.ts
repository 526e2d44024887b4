import { defineConformanceSuite } from '@course/contract';
import { stranglerForThisFile } from './support.ts';

// The unchanged contract suite, through the facade, with the slots share at 100 %.
const stage = stranglerForThisFile(100);
defineConformanceSuite({ baseUrl: () => stage.url });
