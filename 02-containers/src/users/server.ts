import { serve } from '../serve.ts';
import { createUsersApp } from './app.ts';
import { loadConfig } from './config.ts';
import { createUsersDb } from './db.ts';

// The users service's entrypoint, the same for the local runner, compose and ECS.
await serve({
  service: 'users',
  loadConfig,
  async start(config, log) {
    const db = createUsersDb(config.DATABASE_URL, config.DB_POOL_MAX);
    return { app: await createUsersApp({ config, db, log }), close: () => db.$disconnect() };
  },
});
