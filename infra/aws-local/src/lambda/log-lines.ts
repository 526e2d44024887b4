/*
 * The lines Lambda itself writes around each invocation in CloudWatch Logs, and the 4 KB tail
 * the Invoke API returns with `LogType: Tail`.
 */

export function startLine(requestId: string): string {
  return `START RequestId: ${requestId} Version: $LATEST`;
}

export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

export interface Report {
  requestId: string;
  durationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  /** Only on the cold start, the first invocation of an environment. */
  initDurationMs?: number;
  /** How the invocation failed, when the environment did not survive it. */
  status?: { status: 'timeout' } | { status: 'error'; errorType: string };
}

export function reportLine(report: Report): string {
  const parts = [
    `REPORT RequestId: ${report.requestId}`,
    `Duration: ${report.durationMs.toFixed(2)} ms`,
    // Lambda bills the init phase too (since August 2025), rounded up to the millisecond.
    `Billed Duration: ${Math.ceil(report.durationMs + (report.initDurationMs ?? 0))} ms`,
    `Memory Size: ${report.memorySizeMb} MB`,
    `Max Memory Used: ${report.maxMemoryUsedMb} MB`,
  ];
  if (report.initDurationMs !== undefined) {
    parts.push(`Init Duration: ${report.initDurationMs.toFixed(2)} ms`);
  }
  if (report.status?.status === 'timeout') parts.push('Status: timeout');
  if (report.status?.status === 'error') {
    parts.push('Status: error', `Error Type: ${report.status.errorType}`);
  }
  return parts.join('\t');
}

export function initReportLine(initDurationMs: number, errorType: string): string {
  return `INIT_REPORT Init Duration: ${initDurationMs.toFixed(2)} ms\tPhase: init\tStatus: error\tError Type: ${errorType}`;
}

export const LOG_TAIL_BYTES = 4096;

/** The last 4 KB of an invocation's log, cut at a character boundary. */
export function logTail(lines: string[]): string {
  const bytes = Buffer.from(lines.map((line) => `${line}\n`).join(''), 'utf8');
  let start = Math.max(0, bytes.length - LOG_TAIL_BYTES);
  // UTF-8 continuation bytes are 10xxxxxx: never start in the middle of a character.
  while (start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}
