/**
 * The smallest logger this package needs. A pino logger fits it as is, so services pass their own
 * logger and this package does not depend on any logging library.
 */
export interface Logger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** A logger that drops everything: the default when the caller does not care. */
export const silentLogger: Logger = {
  info: () => {},
  warn: () => {},
  error: () => {},
};
