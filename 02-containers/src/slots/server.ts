import { createDb } from '@course/strangler/slots';
import { serve } from '../serve.ts';
import { createSlotsApp } from './app.ts';
import { loadConfig } from './config.ts';

// The slots service's entrypoint, the same for the local runner, compose and ECS.
await serve({
  service: 'slots',
  loadConfig,
  start(config, log) {
    const db = createDb(config.DATABASE_URL, config.DB_POOL_MAX);
    return { app: createSlotsApp({ config, db, log }), close: () => db.$disconnect() };
  },
});
