// The slots module as other packages see it: stage 01's slots service is built from these
// routes and this money-moving code, over a database of its own.
export { isUniqueViolation } from '../prisma-errors.ts';
export {
  findSpinByKey,
  listSpins,
  readBalance,
  type SlotsDb,
  type SlotsTables,
  settleSpin,
} from './data.ts';
export { type LeaderboardEntry, machine, type SpinRecord } from './domain.ts';
export { LEADERBOARD_SIZE, type SlotsDeps, slotsRoutes } from './routes.ts';
export type { SlotsStore, SpinOutcome, SpinToSettle } from './store.ts';
