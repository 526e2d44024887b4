/*
 * The Invoker: a pool of execution environments per function, as Lambda scales one. An event goes
 * to an idle warm environment when there is one; otherwise a new environment starts (a cold
 * start) while the function has fewer than its limit. At the limit, two cases:
 * - the template reserves concurrency (ReservedConcurrentExecutions): the call is throttled, as
 *   on AWS, or waits its turn (first come, first served) when the caller queues, as Lambda's
 *   internal queue does for asynchronous invocations and event source mappings;
 * - it does not: the limit is only this laptop's (DEFAULT_LOCAL_CONCURRENCY), where AWS would
 *   start another environment, so every call waits its turn and nothing is throttled.
 */
import { randomUUID } from 'node:crypto';
import { LocalAwsError, type LocalFunction } from '../model.ts';
import type { RuntimeOptions } from '../options.ts';
import { type EnvironmentSettings, ExecutionEnvironment } from './environment.ts';
import { LATEST, parseFunctionRef } from './function-ref.ts';
import type { InvocationResult, InvokeOptions, Invoker } from './invoker.ts';

/**
 * How many environments a function without ReservedConcurrentExecutions gets here. AWS allows
 * 1,000 per account by default, but each local environment is a Node.js process (about 50 MB):
 * ten show real parallelism while keeping a laptop responsive. Calls beyond them wait (and the
 * pool says so once per function); they are never throttled, since AWS would not throttle them.
 */
export const DEFAULT_LOCAL_CONCURRENCY = 10;

export interface LambdaPoolOptions extends RuntimeOptions {
  /** The region the functions see in AWS_REGION. Default: the region of the first function's ARN. */
  region?: string;
  /** Variables every function gets (AWS_ENDPOINT_URL_SQS …, fake credentials). */
  env?: Record<string, string>;
  /** Overrides DEFAULT_LOCAL_CONCURRENCY (the local cap, for functions with no reservation). */
  defaultConcurrency?: number;
}

export interface LambdaPool extends Invoker {
  /**
   * Ends every environment (SIGTERM, then SIGKILL): invocations in flight end with a 'crash'
   * error at once, callers still waiting and later invocations are answered 'throttled'.
   */
  stop(): Promise<void>;
}

class FunctionEnvironments {
  private readonly all = new Set<ExecutionEnvironment>();
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly waiting: Array<(env: ExecutionEnvironment | undefined) => void> = [];
  private stopped = false;
  private capLogged = false;
  readonly fn: LocalFunction;
  /** The reserved concurrency, or the local cap when the template reserves none. */
  private readonly limit: number;
  private readonly settings: EnvironmentSettings;

  constructor(fn: LocalFunction, localCap: number, settings: EnvironmentSettings) {
    this.fn = fn;
    this.limit = fn.reservedConcurrency ?? localCap;
    this.settings = settings;
  }

  async invoke(event: unknown, options: InvokeOptions): Promise<InvocationResult> {
    const env = this.idle.pop() ?? this.start() ?? (await this.waitOrThrottle(options));
    if (!env) return { outcome: 'throttled', logTail: '' };
    try {
      return await env.invoke(event, options.requestId ?? randomUUID(), this.fn.arn);
    } finally {
      // A discarded environment is gone before its caller hears the result: no one else gets it.
      if (options.discardEnvironment) await env.kill(true);
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

  /** Every environment is busy: throttled only where AWS would throttle, otherwise a wait. */
  private waitOrThrottle(options: InvokeOptions): Promise<ExecutionEnvironment | undefined> {
    const reserved = this.fn.reservedConcurrency !== undefined;
    if (this.stopped || (reserved && !options.queue)) return Promise.resolve(undefined);
    // With a reserved concurrency of 0 (Lambda's "throttle this function") no turn ever comes.
    if (this.limit === 0) return Promise.resolve(undefined);
    if (!reserved && !this.capLogged) {
      this.capLogged = true;
      this.settings.log(
        'aws-local',
        `${this.fn.name}: local cap of ${this.limit} environments reached, not an AWS limit ` +
          '(Lambda would start more): further calls wait for a free environment',
      );
    }
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
  const localCap = options.defaultConcurrency ?? DEFAULT_LOCAL_CONCURRENCY;
  // Zero or fewer environments would leave every call waiting forever.
  if (!(Number.isInteger(localCap) && localCap >= 1)) {
    throw new LocalAwsError(`localConcurrency must be a whole number ≥ 1, got ${localCap}`);
  }
  const byName = new Map(
    functions.map((fn) => [fn.name, new FunctionEnvironments(fn, localCap, settings)] as const),
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
