// The slots service's internal ranks route, as later stages see it.
export { leaderboardRankRoutes } from './ranks.ts';
