import { serve } from '../serve.ts';
import { createForumApp } from './app.ts';
import { loadConfig } from './config.ts';
import { createForumDb } from './db.ts';

// The forum service's entrypoint, the same for the local runner, compose and ECS.
await serve({
  service: 'forum',
  loadConfig,
  start(config, log) {
    const db = createForumDb(config.DATABASE_URL, config.DB_POOL_MAX);
    return { app: createForumApp({ config, db, log }), close: () => db.$disconnect() };
  },
});
