import { defineConformanceSuite } from '@course/contract';
import { stranglerForThisFile } from './support.ts';

// The unchanged contract suite, through the facade, with the slots share at 0 %.
const stage = stranglerForThisFile(0);
defineConformanceSuite({ baseUrl: () => stage.url });
