import { ConfigError, createLogger, type Logger, parseConfig } from '@course/service-kit';
import type { z } from 'zod';
import { containerEnvironment } from './container-env.ts';

export interface OneShotProgram<S extends z.ZodType<{ LOG_LEVEL: string }>> {
  /** The program's name in its log lines: `database-setup`. */
  name: string;
  /** Its configuration, read from the container's environment (ECS secrets included). */
  schema: S;
  /** A more precise name once the config is known: `users-database-setup`. @default name */
  logAs?: (config: z.infer<S>) => string;
}

/**
 * How the stage's one-shot programs (database-setup.ts, database-provisioning.ts) run: the config,
 * then `work`, then exit 0 — or exit 1 with one fatal log line. A config error is its list of what
 * is missing or wrong, with no stack trace. The exit is explicit: idle pooled connections would
 * otherwise keep the process, and whatever waits for it, alive until they time out.
 */
export async function runOneShot<S extends z.ZodType<{ LOG_LEVEL: string }>>(
  program: OneShotProgram<S>,
  work: (config: z.infer<S>, log: Logger) => Promise<void>,
): Promise<never> {
  let config: z.infer<S>;
  try {
    config = parseConfig(program.schema, containerEnvironment(process.env));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    createLogger({ service: program.name }).fatal(err.message);
    process.exit(1);
  }
  const service = program.logAs?.(config) ?? program.name;
  const log = createLogger({ service, level: config.LOG_LEVEL });
  try {
    await work(config, log);
  } catch (err) {
    log.fatal({ err }, `${program.name} failed`);
    process.exit(1);
  }
  process.exit(0);
}
