import { ConfigError, createLogger, listen, runUntilSignal } from '@course/service-kit';
import { createSlotsApp } from './app.ts';
import { loadConfig } from './config.ts';
import { createDb } from './db.ts';

// The only file that starts the slots service: parse config, connect, listen, drain on SIGTERM.
const bootLog = createLogger({ service: 'slots' });
try {
  const config = loadConfig();
  const log = createLogger({ service: 'slots', level: config.LOG_LEVEL });
  const db = createDb(config.DATABASE_URL, config.DB_POOL_MAX);
  const app = createSlotsApp({ config, db, log });
  const server = await listen(app, { port: config.PORT, host: config.HOST, log });
  runUntilSignal(server, { log, onShutdown: () => db.$disconnect() });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  bootLog.fatal(err.message);
  process.exitCode = 1;
}
