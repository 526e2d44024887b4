/*
 * The two Lambda figures the benchmark reports, measured the same way by the tests and by
 * `pnpm bench`: what a warm invocation through an environment adds to calling the handler
 * in-process, and how long a cold start takes.
 */
import { performance } from 'node:perf_hooks';
import type { LocalFunction } from '../model.ts';
import { loadHandler } from './handler-module.ts';
import { createLambdaPool } from './pool.ts';

export interface WarmOverhead {
  calls: number;
  /** p50 of invoker.invoke() on a warm environment, in ms. */
  invokerP50Ms: number;
  /** p50 of calling the same handler directly in this process, in ms. */
  directP50Ms: number;
  overheadP50Ms: number;
}

const quiet = () => {};

function p50(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function timeCalls(calls: number, call: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
  }
  return samples;
}

export async function measureWarmOverhead(
  fn: LocalFunction,
  event: unknown,
  calls = 1000,
): Promise<WarmOverhead> {
  const pool = createLambdaPool([fn], { timeScale: 1, log: quiet, defaultConcurrency: 1 });
  try {
    await pool.invoke(fn.name, event); // the cold start, not measured
    const invoker = await timeCalls(calls, () => pool.invoke(fn.name, event));
    const handler = await loadHandler(fn.codeDir, fn.handler, fn.runtime);
    const context = { getRemainingTimeInMillis: () => fn.timeoutSeconds * 1000 };
    const direct = await timeCalls(calls, async () => handler(event, context));
    const invokerP50Ms = p50(invoker);
    const directP50Ms = p50(direct);
    return { calls, invokerP50Ms, directP50Ms, overheadP50Ms: invokerP50Ms - directP50Ms };
  } finally {
    await pool.stop();
  }
}

/** A cold start: from the first invoke to its answer, through process start and module init. */
export async function measureColdStart(fn: LocalFunction, event: unknown): Promise<number> {
  const pool = createLambdaPool([fn], { timeScale: 1, log: quiet, defaultConcurrency: 1 });
  try {
    const started = performance.now();
    const result = await pool.invoke(fn.name, event);
    if (result.outcome !== 'success') throw new Error(`cold start failed: ${result.outcome}`);
    return performance.now() - started;
  } finally {
    await pool.stop();
  }
}
