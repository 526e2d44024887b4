import { createFacade, type Facade, type RouteTable } from '@course/facade';
import type { Logger } from '@course/service-kit';
import routes from '../../routes.ts';
import type { Implementation } from '../wallets/ownership.ts';
import type { FacadeConfig } from './config.ts';
import { mergeLeaderboards } from './leaderboard.ts';

export interface StranglerFacadeDeps {
  config: FacadeConfig;
  log: Logger;
  /** The route table; routes.ts unless a test moves the canary. */
  table?: RouteTable<Implementation>;
}

/** Stage 01's front door: the generic facade, given this stage's route table and targets. */
export function createStranglerFacade({
  config,
  log,
  table = routes,
}: StranglerFacadeDeps): Facade {
  return createFacade({
    table,
    targets: { monolith: config.MONOLITH_URL, slots: config.SLOTS_URL },
    identity: { service: 'facade', stage: config.STAGE, kind: 'process' },
    log,
    compose: { leaderboard: mergeLeaderboards },
    trustProxy: config.TRUST_PROXY,
  });
}
