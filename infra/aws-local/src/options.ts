/*
 * Options every part of the runtime shares.
 */

/** Where the runtime's own lines go: the source is a function's name, a queue's, or 'aws-local'. */
export type LogSink = (source: string, line: string) => void;

export interface RuntimeOptions {
  /**
   * Multiplies every duration the templates declare — function timeouts, visibility timeouts,
   * batching windows, schedules — so tests can shrink minutes to seconds. 1 is real time; a test
   * may pass e.g. 0.01. It is logged at start whenever it is not 1, never applied silently.
   * Durations the runtime itself adds (API Gateway's 30 s integration timeout) scale too.
   */
  timeScale: number;
  log: LogSink;
}

/** A template's duration in seconds, scaled, in milliseconds (at least 1 ms). */
export function scaledMs(seconds: number, timeScale: number): number {
  return Math.max(1, Math.round(seconds * 1000 * timeScale));
}
