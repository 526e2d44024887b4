import type { Logger } from 'pino';

/** One request's access line: what every adapter logs when it has answered. */
export interface RequestLine {
  method: string;
  /** Without the query string: it may carry cursors or other values we do not want in logs. */
  path: string;
  status: number;
  ms: number;
}

/**
 * Writes a request's one access line, with the same words from every adapter (an Express
 * service, a Lambda function), so one query reads every kind of log: a 5xx is an error, a
 * request the client hung up on a warning, anything else info.
 */
export function logRequestLine(
  log: Logger,
  line: RequestLine & Record<string, unknown>,
  { aborted = false }: { aborted?: boolean } = {},
): void {
  if (aborted) log.warn(line, 'request aborted by the client');
  else if (line.status >= 500) log.error(line, 'request failed');
  else log.info(line, 'request completed');
}
