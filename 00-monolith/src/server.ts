import { ConfigError, createLogger, listen, runUntilSignal } from '@course/service-kit';
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { createDb } from './db.ts';

// The only file that starts a process: parse config, connect, listen, and shut down on SIGTERM.
const bootLog = createLogger({ service: 'monolith' });
try {
  const config = loadConfig();
  const log = createLogger({ service: 'monolith', level: config.LOG_LEVEL });
  const db = createDb(config.DATABASE_URL, config.DB_POOL_MAX);
  const app = await createApp({ config, db, log });
  const server = await listen(app, { port: config.PORT, host: config.HOST, log });
  runUntilSignal(server, { log, onShutdown: () => db.$disconnect() });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  bootLog.fatal(err.message);
  process.exitCode = 1;
}
