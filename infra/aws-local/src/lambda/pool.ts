/*
 * The Invoker: a pool of execution environments per function, as Lambda scales one. An event goes
 * to an idle warm environment when there is one; otherwise a new environment starts (a cold
 * start) while the function has fewer than its concurrency limit; otherwise the call is throttled,
 * or waits its turn (first come, first served) when the caller queues, as Lambda's internal queue
 * does for asynchronous invocations and event source mappings.
 */
import { randomUUID } from 'node:crypto';
import type { LocalFunction } from '../model.ts';
import type { RuntimeOptions } from '../options.ts';
import { type EnvironmentSettings, ExecutionEnvironment } from './environment.ts';
import { LATEST, parseFunctionRef } from './function-ref.ts';
import type { InvocationResult, InvokeOptions, Invoker } from './invoker.ts';

/**
 * The concurrency limit of a function without ReservedConcurrentExecutions. AWS allows 1,000 per
 * account by default, but each local environment is a Node.js process (about 50 MB): ten show
 * real parallelism and throttling while keeping a laptop responsive.
 */
export const DEFAULT_LOCAL_CONCURRENCY = 10;

export interface LambdaPoolOptions extends RuntimeOptions {
  /** The region the functions see in AWS_REGION. Default: the region of the first function's ARN. */
  region?: string;
  /** Variables every function gets (AWS_ENDPOINT_URL_SQS …, fake credentials). */
  env?: Record<string, string>;
  /** Overrides DEFAULT_LOCAL_CONCURRENCY. */
  defaultConcurrency?: number;
}

export interface LambdaPool extends Invoker {
  /** Ends every environment (SIGTERM, then SIGKILL); later invocations are throttled. */
  stop(): Promise<void>;
}

class FunctionEnvironments {
  private readonly all = new Set<ExecutionEnvironment>();
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly waiting: Array<(env: ExecutionEnvironment | undefined) => void> = [];
  private stopped = false;
  readonly fn: LocalFunction;
  private readonly limit: number;
  private readonly settings: EnvironmentSettings;

  constructor(fn: LocalFunction, limit: number, settings: EnvironmentSettings) {
    this.fn = fn;
    this.limit = limit;
    this.settings = settings;
  }

  async invoke(event: unknown, options: InvokeOptions): Promise<InvocationResult> {
    const env =
      this.idle.pop() ?? this.start() ?? (options.queue ? await this.waitTurn() : undefined);
    if (!env) return { outcome: 'throttled', logTail: '' };
    try {
      return await env.invoke(event, options.requestId ?? randomUUID(), this.fn.arn);
    } finally {
      this.release(env);
    }
  }

  async discard(): Promise<void> {
    this.idle.length = 0;
    await Promise.all([...this.all].map((env) => env.kill(true)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const next of this.waiting.splice(0)) next(undefined);
    this.idle.length = 0;
    await Promise.all([...this.all].map((env) => env.kill()));
  }

  private start(): ExecutionEnvironment | undefined {
    if (this.stopped || this.all.size >= this.limit) return undefined;
    const env = new ExecutionEnvironment(this.fn, this.settings);
    this.all.add(env);
    env.onExit = () => this.forget(env);
    return env;
  }

  private waitTurn(): Promise<ExecutionEnvironment | undefined> {
    // With a limit of 0 (Lambda's "throttle this function") no turn ever comes.
    if (this.limit === 0 || this.stopped) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(env: ExecutionEnvironment): void {
    if (!env.alive) {
      this.forget(env);
      return;
    }
    const next = this.waiting.shift();
    if (next) next(env);
    else this.idle.push(env);
  }

  /** An environment is gone: its slot goes to the next waiting caller, with a fresh environment. */
  private forget(env: ExecutionEnvironment): void {
    if (!this.all.delete(env)) return;
    const index = this.idle.indexOf(env);
    if (index >= 0) this.idle.splice(index, 1);
    const next = this.waiting.shift();
    if (next) next(this.start());
  }
}

export function createLambdaPool(
  functions: LocalFunction[],
  options: LambdaPoolOptions,
): LambdaPool {
  const region = options.region ?? functions[0]?.arn.split(':')[3] ?? 'us-east-1';
  const settings: EnvironmentSettings = {
    region,
    timeScale: options.timeScale,
    log: options.log,
    env: options.env ?? {},
  };
  const byName = new Map(
    functions.map((fn) => {
      const limit =
        fn.reservedConcurrency ?? options.defaultConcurrency ?? DEFAULT_LOCAL_CONCURRENCY;
      return [fn.name, new FunctionEnvironments(fn, limit, settings)] as const;
    }),
  );

  /** The function a reference names; only `$LATEST` (or no qualifier) is served. */
  function find(ref: string): FunctionEnvironments | undefined {
    const parsed = parseFunctionRef(ref);
    if (!parsed || (parsed.qualifier !== undefined && parsed.qualifier !== LATEST))
      return undefined;
    const found = byName.get(parsed.name);
    if (parsed.arn !== undefined && parsed.arn !== found?.fn.arn) return undefined;
    return found;
  }

  function get(ref: string): FunctionEnvironments {
    const found = find(ref);
    if (!found) throw new Error(`Function not found: ${ref}`);
    return found;
  }

  return {
    has: (ref) => find(ref) !== undefined,
    invoke: async (ref, event, invokeOptions = {}) => get(ref).invoke(event, invokeOptions),
    discardEnvironments: async (ref) => get(ref).discard(),
    stop: async () => {
      await Promise.all([...byName.values()].map((environments) => environments.stop()));
    },
  };
}
