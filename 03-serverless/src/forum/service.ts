import { createForumApp, createForumDb, type ForumAppExtensions } from '@course/containers/forum';
import type { StartedService } from '@course/containers/serve';
import type { Logger } from '@course/service-kit';
import type { ForumConfig } from './config.ts';
import { ranksFunctionBadges } from './ranks-client.ts';

/**
 * Stage 02's forum service, unchanged but for where its badges come from: the ranks function,
 * through the Lambda Invoke API. `extensions` are passed to stage 02's app as they are.
 */
export function forumService(
  config: ForumConfig,
  log: Logger,
  extensions: ForumAppExtensions = {},
): StartedService {
  const db = createForumDb(config.DATABASE_URL, config.DB_POOL_MAX);
  const authorRanks = ranksFunctionBadges({
    functionName: config.RANKS_FUNCTION_NAME,
    timeoutMs: config.RANKS_TIMEOUT_MS,
    log,
  });
  return {
    app: createForumApp({ config, db, log, authorRanks, ...extensions }),
    close: () => db.$disconnect(),
  };
}
