// The slots service as later stages see it: stage 02 runs it with one more (internal) route.
export { createSlotsApp, type SlotsAppDeps } from './app.ts';
export type { SlotsConfig } from './config.ts';
export { createDb, type SlotsDatabase } from './db.ts';
export { slotsServiceStore } from './store.ts';
