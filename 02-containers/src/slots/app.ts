import {
  createSlotsApp as createStage01SlotsApp,
  type SlotsAppDeps,
} from '@course/strangler/slots';
import type { Express } from 'express';
import type { SlotsConfig } from './config.ts';
import { leaderboardRankRoutes } from './ranks.ts';

/**
 * The slots service of stage 01, unchanged (its app, store and database, the monolith's routes
 * and money-moving code), plus one internal route for the forum's badges.
 */
export function createSlotsApp({
  config,
  ...deps
}: Omit<SlotsAppDeps, 'config' | 'kind' | 'extraRoutes'> & { config: SlotsConfig }): Express {
  return createStage01SlotsApp({
    config,
    ...deps,
    kind: config.PROCESS_KIND,
    extraRoutes: (store) => leaderboardRankRoutes({ store }),
  });
}
