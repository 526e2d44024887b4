// The slots service's storage without its HTTP app, as a later stage that serves slots some
// other way sees it: @course/strangler/slots/store. Nothing here imports express.
export { createDb, type SlotsDatabase } from './db.ts';
export { slotsServiceStore } from './store.ts';
