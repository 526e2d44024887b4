import {
  ConfigError,
  createLogger,
  type Logger,
  listen,
  runUntilSignal,
  type ServiceConfig,
} from '@course/service-kit';
import type { Express } from 'express';
import { containerEnvironment } from './container-env.ts';

/** A built service: its app, and what to close once the server has drained. */
export interface StartedService {
  app: Express;
  close(): Promise<void> | void;
}

/**
 * How every stage-02 process starts, whether the local runner, compose or ECS runs it: map the
 * container platform's secrets, parse the config once, build, listen, drain on SIGTERM.
 */
export async function serve<Config extends Pick<ServiceConfig, 'PORT' | 'HOST' | 'LOG_LEVEL'>>({
  service,
  loadConfig,
  start,
}: {
  service: string;
  loadConfig(env: NodeJS.ProcessEnv): Config;
  start(config: Config, log: Logger): Promise<StartedService> | StartedService;
}): Promise<void> {
  const bootLog = createLogger({ service });
  try {
    const config = loadConfig(containerEnvironment(process.env));
    const log = createLogger({ service, level: config.LOG_LEVEL });
    const started = await start(config, log);
    const server = await listen(started.app, { port: config.PORT, host: config.HOST, log });
    runUntilSignal(server, { log, onShutdown: async () => started.close() });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    bootLog.fatal(err.message);
    process.exitCode = 1;
  }
}
