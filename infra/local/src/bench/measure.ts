import autocannon from 'autocannon';
import type { StageDefinition } from '../stage.ts';

/** One HTTP request shape to load-test. */
export interface Scenario {
  name: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /**
   * Requests sent in turn by every connection, so each can carry another player's token or key,
   * or go to another path (a mix). Each one's fields replace the scenario's.
   */
  /**
   * Requests per second across all connections (autocannon's overallRate), for a stage that
   * enforces a rate itself (an API Gateway stage's throttle): measured above it, the figures
   * would be those of its 429s. Unlimited by default.
   */
  overallRate?: number;
  requests?: {
    method?: 'GET' | 'POST';
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }[];
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
    ...(scenario.overallRate === undefined ? {} : { overallRate: scenario.overallRate }),
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

/** How long one scenario is loaded before the next one's turn, in `measureInTurns`. */
export const SLICE_SECONDS = 2;

/** --duration is the time per scenario, taken in whole slices. */
export function roundsFor(load: LoadOptions): number {
  return Math.max(1, Math.round(load.durationSeconds / SLICE_SECONDS));
}

/**
 * Measures scenarios that are to be compared with each other in short slices taken in turn
 * (in the order of the object's keys), and combines each one's slices into one figure. A stage
 * keeps getting faster for tens of seconds (the JIT, the WebAssembly database) and the machine
 * is shared: measured one after the other, whichever scenario ran last would look best. In
 * turns, every scenario meets the same drift and noise. One unmeasured slice each comes first.
 */
export async function measureInTurns<Key extends string>(
  scenarios: Record<Key, Scenario>,
  load: LoadOptions,
): Promise<Record<Key, Measurement>> {
  const slice = { ...load, durationSeconds: SLICE_SECONDS };
  const entries: [Key, Scenario][] = Object.entries<Scenario>(scenarios).map(([key, scenario]) => [
    key as Key,
    scenario,
  ]);
  for (const [, scenario] of entries) await measure(scenario, slice);
  const slices = new Map<Key, Measurement[]>(entries.map(([key]) => [key, []]));
  for (let round = 0; round < roundsFor(load); round += 1) {
    for (const [key, scenario] of entries) slices.get(key)?.push(await measure(scenario, slice));
  }
  return Object.fromEntries(
    [...slices].map(([key, measured]) => [key, combine(measured)]),
  ) as Record<Key, Measurement>;
}

/**
 * One figure from a scenario's slices: throughput over all of them, and the median slice's
 * percentiles (percentiles of separate runs cannot be added up).
 */
function combine(slices: Measurement[]): Measurement {
  const total = (pick: (m: Measurement) => number) => slices.reduce((sum, m) => sum + pick(m), 0);
  return {
    name: slices[0]?.name ?? '',
    requestsPerSecond: total((m) => m.requests) / (slices.length * SLICE_SECONDS),
    p50Ms: median(slices.map((m) => m.p50Ms)),
    p99Ms: median(slices.map((m) => m.p99Ms)),
    requests: total((m) => m.requests),
    failures: total((m) => m.failures),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const at = (i: number) => sorted[i] ?? Number.NaN;
  return sorted.length % 2 === 1 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
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
