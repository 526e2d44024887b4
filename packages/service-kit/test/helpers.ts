import type { Express } from 'express';
import type { DestinationStream } from 'pino';
import {
  createLogger,
  createServiceApp,
  finishServiceApp,
  listen,
  type RunningServer,
  type ServiceAppOptions,
} from '../src/index.ts';

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/** A pino destination that keeps every line in memory, parsed. */
export function memoryDestination(): DestinationStream & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return { lines, write: (line: string) => void lines.push(JSON.parse(line) as LogLine) };
}

export interface TestApp extends RunningServer {
  logs: LogLine[];
}

/**
 * Builds a service app exactly as a service does (chassis, routes, finish), and serves it on
 * 127.0.0.1 with a free port.
 */
export async function startApp(
  addRoutes: (app: Express) => void,
  options: Partial<Omit<ServiceAppOptions, 'log'>> = {},
): Promise<TestApp> {
  const destination = memoryDestination();
  const log = createLogger({ service: 'test', level: 'debug', destination });
  const app = createServiceApp({
    identity: { service: 'test-service', stage: '00', kind: 'process' },
    ...options,
    log,
  });
  addRoutes(app);
  finishServiceApp(app, { log });
  const server = await listen(app, { port: 0, host: '127.0.0.1', log });
  return { ...server, logs: destination.lines };
}

export const PROBLEM_JSON = /^application\/problem\+json/;

/** A clock the test moves by hand. */
export function fakeClock() {
  let now = 0;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}
