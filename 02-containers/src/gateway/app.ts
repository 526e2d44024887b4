import { createFacade, type Facade } from '@course/facade';
import { webRoutes } from '@course/monolith/web';
import type { Logger } from '@course/service-kit';
import routes from '../../routes.ts';
import type { GatewayConfig } from './config.ts';

/**
 * Stage 02's gateway: stage 01's facade, given this stage's route table, plus the web app for
 * every other path. On AWS the load balancer reads the same table and CloudFront serves the web
 * app, so this process only exists locally and in compose.
 */
export function createGateway({ config, log }: { config: GatewayConfig; log: Logger }): Facade {
  return createFacade({
    table: routes,
    targets: { users: config.USERS_URL, forum: config.FORUM_URL, slots: config.SLOTS_URL },
    identity: { service: 'gateway', stage: config.STAGE, kind: config.PROCESS_KIND },
    log,
    trustProxy: config.TRUST_PROXY,
    fallback: webRoutes({ distDir: config.WEB_DIST_DIR }),
  });
}
