/*
 * Sequential request latency, for comparing two servers in the same run (the machines are
 * shared and noisy: only a ratio or a difference measured side by side means anything).
 * The benchmark and the HTTP API's own latency measurement both use it.
 */
export interface SequentialLatency {
  count: number;
  p50Ms: number;
  p99Ms: number;
}

/** Sends `count` requests one after another over a kept-alive connection, after `warmup` more. */
export async function measureSequential(
  url: string,
  count: number,
  init: RequestInit = {},
  warmup = Math.min(100, count),
): Promise<SequentialLatency> {
  const durations: number[] = [];
  for (let i = 0; i < warmup + count; i++) {
    const start = performance.now();
    const response = await fetch(url, init);
    await response.arrayBuffer();
    if (i >= warmup) durations.push(performance.now() - start);
  }
  durations.sort((a, b) => a - b);
  const at = (p: number) =>
    durations[Math.min(durations.length - 1, Math.floor(p * durations.length))] ?? 0;
  return { count, p50Ms: at(0.5), p99Ms: at(0.99) };
}
