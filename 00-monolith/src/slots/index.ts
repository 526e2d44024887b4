// The slots module as other packages see it: stage 01's slots service is built from these
// routes and this money-moving code, over a database of its own. The same use cases without
// Express: @course/monolith/slots/use-cases; the money-moving code alone: ./slots/data.
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
export { type SlotsDeps, slotsRoutes } from './routes.ts';
export type { SlotsStore, SpinOutcome, SpinToSettle } from './store.ts';
export {
  LEADERBOARD_SIZE,
  type SlotsUseCaseDeps,
  type SlotsUseCases,
  slotsUseCases,
} from './use-cases.ts';
