import autocannon from 'autocannon';
import type { StageDefinition } from '../stage.ts';

/** One HTTP request shape to load-test. */
export interface Scenario {
  name: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Bodies are sent in turn, so each can carry another player's token or key. */
  requests?: { headers?: Record<string, string>; body?: string }[];
}

export interface Measurement {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Responses outside 2xx, and socket errors: a benchmark of failures measures nothing. */
  failures: number;
}

export interface LoadOptions {
  /** Seconds per scenario. */
  durationSeconds: number;
  connections: number;
}

/** Runs one scenario with autocannon (bounded by time) and keeps the figures that matter. */
export async function measure(scenario: Scenario, load: LoadOptions): Promise<Measurement> {
  const result = await autocannon({
    url: scenario.url,
    method: scenario.method ?? 'GET',
    headers: scenario.headers,
    requests: scenario.requests?.map((r) => ({ method: scenario.method ?? 'GET', ...r })),
    duration: load.durationSeconds,
    connections: load.connections,
    // The load comes from a worker thread: the stage's embedded database runs on this process's
    // main thread, and a load generator sharing that thread would slow the database it measures.
    workers: 1,
  });
  return {
    name: scenario.name,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/**
 * Machines are shared and noisy, so absolute numbers drift from run to run; ratios to a
 * baseline measured in the same run are what is worth comparing.
 */
export function formatTable(results: Measurement[], baseline: Measurement): string {
  const header = [
    'scenario',
    'req/s',
    'p50 ms',
    'p99 ms',
    'requests',
    'failures',
    `vs ${baseline.name}`,
  ];
  const rows = results.map((r) => [
    r.name,
    r.requestsPerSecond.toFixed(0),
    r.p50Ms.toFixed(1),
    r.p99Ms.toFixed(1),
    String(r.requests),
    String(r.failures),
    `${((r.requestsPerSecond / baseline.requestsPerSecond) * 100).toFixed(1)} %`,
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A stage as `pnpm start` runs it, minus the per-request log lines and the rate limit. */
export function quietAndUnthrottled(def: StageDefinition): StageDefinition {
  return {
    ...def,
    processes: def.processes.map((p) => ({
      ...p,
      env: (ctx) => ({ ...p.env?.(ctx), LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0' }),
    })),
  };
}
