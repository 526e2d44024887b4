import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** Written on every line as `service`, so interleaved logs of several processes stay readable. */
  service: string;
  level?: string;
  /** Where lines go; stdout when absent. Tests pass an in-memory stream. */
  destination?: DestinationStream;
}

/**
 * One JSON object per line, the format CloudWatch Logs and `jq` both understand.
 * `base` replaces pino's default pid/hostname with the service name.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const options = {
    level: opts.level ?? 'info',
    base: { service: opts.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // "level":"info" reads better than pino's numeric 30 when a learner greps the logs.
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
