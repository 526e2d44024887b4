import { createForumApp, createForumDb } from '@course/containers/forum';
import { serve } from '@course/containers/serve';
import { loadConfig } from './config.ts';
import { ranksFunctionBadges } from './ranks-client.ts';

// Stage 02's forum service, unchanged but for where its badges come from: the ranks function,
// through the Lambda Invoke API. The same entrypoint for the local runner and ECS.
await serve({
  service: 'forum',
  loadConfig,
  start(config, log) {
    const db = createForumDb(config.DATABASE_URL, config.DB_POOL_MAX);
    const authorRanks = ranksFunctionBadges({
      functionName: config.RANKS_FUNCTION_NAME,
      timeoutMs: config.RANKS_TIMEOUT_MS,
      log,
    });
    return {
      app: createForumApp({ config, db, log, authorRanks }),
      close: () => db.$disconnect(),
    };
  },
});
