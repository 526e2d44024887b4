import { ConfigError, createLogger, listen, runUntilSignal } from '@course/service-kit';
import { createStranglerFacade } from './app.ts';
import { loadConfig } from './config.ts';

// The only file that starts the facade: parse config, listen, and drain on SIGTERM.
const bootLog = createLogger({ service: 'facade' });
try {
  const config = loadConfig();
  const log = createLogger({ service: 'facade', level: config.LOG_LEVEL });
  const facade = createStranglerFacade({ config, log });
  const server = await listen(facade.app, { port: config.PORT, host: config.HOST, log });
  runUntilSignal(server, { log, onShutdown: async () => facade.close() });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  bootLog.fatal(err.message);
  process.exitCode = 1;
}
