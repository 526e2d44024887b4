import { defineConformanceSuite } from '@course/contract';
import { stranglerForThisFile } from './support.ts';

// The unchanged contract suite, through the facade, with the slots share at 50 %.
const stage = stranglerForThisFile(50);
defineConformanceSuite({ baseUrl: () => stage.url });
