import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { InvocationResult } from '../src/lambda/invoker.ts';
import { measureColdStart, measureWarmOverhead } from '../src/lambda/measure.ts';
import { createLambdaPool, type LambdaPool } from '../src/lambda/pool.ts';
import type { LocalFunction } from '../src/model.ts';
import { localFunction, logRecorder } from './fixtures/handlers/local-function.ts';
import { isRunning } from './processes.ts';

interface Counted {
  inits: number;
  invocations: number;
  pid: number;
  remainingMs: number;
  context: Record<string, unknown>;
}

const pools: LambdaPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop()));
});

function poolOf(
  functions: LocalFunction[],
  options: Partial<Parameters<typeof createLambdaPool>[1]> = {},
) {
  const recorder = logRecorder();
  const pool = createLambdaPool(functions, { timeScale: 1, log: recorder.log, ...options });
  pools.push(pool);
  return { pool, lines: recorder.lines };
}

function payloadOf<T>(result: InvocationResult): T {
  if (result.outcome !== 'success')
    throw new Error(`expected success, got ${JSON.stringify(result)}`);
  return JSON.parse(result.payload) as T;
}

function errorOf(result: InvocationResult) {
  if (result.outcome !== 'error')
    throw new Error(`expected an error, got ${JSON.stringify(result)}`);
  return result;
}

describe('an execution environment', () => {
  it('initialises the module once and then serves events warm', async () => {
    const fn = localFunction('counter.handler');
    const { pool, lines } = poolOf([fn]);

    const first = payloadOf<Counted>(await pool.invoke(fn.name, {}));
    const second = payloadOf<Counted>(await pool.invoke(fn.name, {}));

    expect(first).toMatchObject({ inits: 1, invocations: 1 });
    expect(second).toMatchObject({ inits: 1, invocations: 2, pid: first.pid });
    const reports = lines(fn.name).filter((line) => line.startsWith('REPORT'));
    expect(reports).toHaveLength(2);
    expect(reports[0]).toMatch(/\tInit Duration: \d+\.\d\d ms$/);
    expect(reports[1]).not.toContain('Init Duration');
  });

  it('writes START, the function lines in the runtime format, END and REPORT', async () => {
    const fn = localFunction('behaviours.logs', { memoryMb: 256 });
    const { pool, lines } = poolOf([fn]);

    const result = await pool.invoke(fn.name, {}, { requestId: 'req-1' });

    expect(result.outcome).toBe('success');
    const log = lines(fn.name);
    const time = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;
    expect(log[0]).toBe('START RequestId: req-1 Version: $LATEST');
    expect(log[1]).toMatch(new RegExp(`^${time}\treq-1\tINFO\thello world$`));
    expect(log[2]).toMatch(new RegExp(`^${time}\treq-1\tWARN\tcareful$`));
    expect(log[3]).toMatch(new RegExp(`^${time}\treq-1\tERROR\tbad$`));
    expect(log[4]).toBe('plain line');
    expect(log[5]).toBe('END RequestId: req-1');
    expect(log[6]).toMatch(
      /^REPORT RequestId: req-1\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB\tInit Duration: \d+\.\d\d ms$/,
    );
    expect(result.outcome === 'success' && result.logTail).toBe(`${log.join('\n')}\n`);
  });

  it('gives the handler a context like Lambda’s, with the remaining time going down', async () => {
    const fn = localFunction('counter.handler', { memoryMb: 256, timeoutSeconds: 6 });
    const timed = localFunction('behaviours.remaining', { timeoutSeconds: 2 });
    const { pool } = poolOf([fn, timed]);

    const { context, remainingMs } = payloadOf<Counted>(
      await pool.invoke(fn.arn, {}, { requestId: 'ctx-1' }),
    );
    const { first, second } = payloadOf<{ first: number; second: number }>(
      await pool.invoke(timed.name, {}),
    );

    expect(context).toEqual({
      awsRequestId: 'ctx-1',
      functionName: fn.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: '256',
      logGroupName: `/aws/lambda/${fn.name}`,
      logStreamName: expect.stringMatching(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/),
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(remainingMs).toBeGreaterThan(0);
    expect(remainingMs).toBeLessThanOrEqual(6000);
    expect(first).toBeLessThanOrEqual(2000);
    expect(second).toBeLessThan(first);
  });

  it('sets Lambda’s reserved variables over the function’s own and the runtime’s extras, and nothing of the parent’s', async () => {
    const fn = localFunction('behaviours.environment', { environment: { TABLE: 'spins' } });
    const { pool } = poolOf([fn], {
      region: 'eu-west-1',
      env: { AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566', AWS_ACCESS_KEY_ID: 'local' },
    });
    process.env.AWS_LOCAL_TEST_PARENT_ONLY = 'leaks';

    const env = payloadOf<Record<string, string>>(await pool.invoke(fn.name, {}));

    delete process.env.AWS_LOCAL_TEST_PARENT_ONLY;
    expect(env).toMatchObject({
      TABLE: 'spins',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      LAMBDA_TASK_ROOT: fn.codeDir,
      _HANDLER: 'behaviours.environment',
      TZ: ':UTC',
    });
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/\[\$LATEST\]/);
    expect(env).not.toHaveProperty('NODE_OPTIONS');
    expect(env).not.toHaveProperty('AWS_LOCAL_TEST_PARENT_ONLY');
  });

  it('runs CommonJS handlers and nested exports', async () => {
    const cjs = localFunction('commonjs.handler');
    const nested = localFunction('behaviours.nested.inner');
    const { pool } = poolOf([cjs, nested]);

    expect(payloadOf(await pool.invoke(cjs.name, { n: 1 }))).toEqual({
      kind: 'commonjs',
      file: 'commonjs.cjs',
      event: { n: 1 },
    });
    expect(payloadOf(await pool.invoke(nested.name, {}))).toBe('nested export');
  });

  it('answers null for a handler that returns nothing', async () => {
    const fn = localFunction('behaviours.nothing');
    const { pool } = poolOf([fn]);

    const result = await pool.invoke(fn.name, {});

    expect(result).toMatchObject({ outcome: 'success', payload: 'null' });
  });
});

describe('errors', () => {
  it('reports a thrown error as handled, with its name, message and trace, and stays warm', async () => {
    const fails = localFunction('behaviours.fail');
    const fn = localFunction('counter.handler');
    const { pool } = poolOf([fails, fn]);

    const thrown = errorOf(await pool.invoke(fails.name, {}));
    const before = payloadOf<Counted>(await pool.invoke(fn.name, {}));
    const failed = errorOf(await pool.invoke(fn.name, { fail: 'no credits' }));
    const after = payloadOf<Counted>(await pool.invoke(fn.name, {}));

    expect(thrown.kind).toBe('handled');
    expect(thrown.error.errorType).toBe('DiceError');
    expect(thrown.error.errorMessage).toBe('the dice fell off the table');
    expect(thrown.error.trace[0]).toBe('DiceError: the dice fell off the table');
    expect(thrown.error.trace.join('\n')).toMatch(/at fail \(.*behaviours\.mjs:\d+:\d+\)/);
    expect(thrown.logTail).toContain('\tERROR\tInvoke Error \t{"errorType":"DiceError"');
    expect(failed).toMatchObject({ kind: 'handled', error: { errorMessage: 'no credits' } });
    expect(after).toMatchObject({ pid: before.pid, inits: 1, invocations: 3 });
  });

  it('kills an environment that runs past its timeout; the next call is cold', async () => {
    const fn = localFunction('counter.handler', { timeoutSeconds: 2 });
    const { pool, lines } = poolOf([fn], { timeScale: 0.1 });
    const warm = payloadOf<Counted>(await pool.invoke(fn.name, {}));

    const timedOut = errorOf(
      await pool.invoke(fn.name, { sleepMs: 10_000 }, { requestId: 'slow' }),
    );
    const next = payloadOf<Counted>(await pool.invoke(fn.name, {}));

    expect(timedOut.kind).toBe('timeout');
    expect(timedOut.error).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: 'RequestId: slow Error: Task timed out after 0.20 seconds',
      trace: [],
    });
    expect(timedOut.logTail).toMatch(/\tStatus: timeout\n$/);
    expect(isRunning(warm.pid)).toBe(false);
    expect(next.pid).not.toBe(warm.pid);
    expect(next).toMatchObject({ inits: 1, invocations: 1 });
    expect(lines(fn.name).filter((line) => line.includes('Init Duration'))).toHaveLength(2);
  });

  it('times out a handler that never yields the event loop', async () => {
    const fn = localFunction('behaviours.spin', { timeoutSeconds: 1 });
    const { pool } = poolOf([fn], { timeScale: 0.1 });

    const result = errorOf(await pool.invoke(fn.name, {}));

    expect(result.kind).toBe('timeout');
  });

  it('survives a handler that exits the process; the next call gets a new environment', async () => {
    const fn = localFunction('counter.handler');
    const { pool, lines } = poolOf([fn]);
    const warm = payloadOf<Counted>(await pool.invoke(fn.name, {}));

    const crashed = errorOf(await pool.invoke(fn.name, { exit: 3 }, { requestId: 'bye' }));
    const next = payloadOf<Counted>(await pool.invoke(fn.name, {}));

    expect(crashed.kind).toBe('crash');
    expect(crashed.error).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: 'RequestId: bye Error: Runtime exited with error: exit status 3',
      trace: [],
    });
    expect(lines(fn.name)).toContain('END RequestId: bye');
    expect(next.pid).not.toBe(warm.pid);
    expect(next).toMatchObject({ inits: 1, invocations: 1 });
  });

  it('ends the environment on an exception thrown outside the handler’s promise', async () => {
    const fn = localFunction('behaviours.stray');
    const { pool } = poolOf([fn]);

    const result = errorOf(await pool.invoke(fn.name, {}));

    expect(result.kind).toBe('crash');
    expect(result.error).toMatchObject({ errorType: 'Error', errorMessage: 'thrown from a timer' });
    expect(result.logTail).toContain('\tERROR\tUncaught Exception \t');
  });

  it('ends an environment that runs out of memory, not the runtime', async () => {
    const fn = localFunction('behaviours.grow', { timeoutSeconds: 20 });
    const { pool } = poolOf([fn]);

    const result = errorOf(await pool.invoke(fn.name, {}));

    expect(result.kind).toBe('crash');
    expect(result.error.errorType).toBe('Runtime.ExitError');
  });

  it.each([
    ['throws-at-init.handler', 'TypeError', 'config is missing DATABASE_URL'],
    [
      'imports-missing.handler',
      'Runtime.ImportModuleError',
      "Cannot find package 'left-out-of-the-bundle'",
    ],
    ['absent.handler', 'Runtime.ImportModuleError', "Error: Cannot find module 'absent'"],
    ['counter.nope', 'Runtime.HandlerNotFound', 'counter.nope is undefined or not exported'],
    [
      // localFunction's runtime is nodejs24.x, the first to refuse callback handlers.
      'behaviours.callback',
      'Runtime.CallbackHandlerDeprecated',
      'callback-based handlers are not supported',
    ],
  ])(
    'answers an init failure of %s as %s and keeps no broken environment',
    async (handler, errorType, message) => {
      const fn = localFunction(handler);
      const { pool, lines } = poolOf([fn]);

      const first = errorOf(await pool.invoke(fn.name, {}));
      const second = errorOf(await pool.invoke(fn.name, {}));

      expect(first.kind).toBe('crash');
      expect(first.error.errorType).toBe(errorType);
      expect(first.error.errorMessage).toContain(message);
      expect(second.error.errorType).toBe(errorType);
      // Each call tried the init again in a new environment.
      expect(lines(fn.name).filter((line) => line.startsWith('INIT_REPORT'))).toHaveLength(2);
    },
  );
});

describe('runtime differences', () => {
  it('runs a callback handler on nodejs22.x: its callback gives the result or the error', async () => {
    const succeeds = localFunction('behaviours.callback', { runtime: 'nodejs22.x' });
    const fails = localFunction('behaviours.callbackFails', { runtime: 'nodejs22.x' });
    const { pool } = poolOf([succeeds, fails]);

    const result = await pool.invoke(succeeds.name, {});
    const failure = errorOf(await pool.invoke(fails.name, {}));

    expect(payloadOf<string>(result)).toBe('old style');
    expect(failure.kind).toBe('handled');
    expect(failure.error.errorMessage).toBe('failed through the callback');
  });

  it('maps stack traces through source maps only when the function’s NODE_OPTIONS asks, as on AWS', async () => {
    const plain = localFunction('behaviours.sourceMaps', { name: 'plain' });
    const mapped = localFunction('behaviours.sourceMaps', {
      name: 'mapped',
      environment: { NODE_OPTIONS: '--enable-source-maps' },
    });
    const { pool } = poolOf([plain, mapped]);

    expect(payloadOf<boolean>(await pool.invoke(plain.name, {}))).toBe(false);
    expect(payloadOf<boolean>(await pool.invoke(mapped.name, {}))).toBe(true);
  });
});

describe('concurrency', () => {
  const slow = { sleepMs: 400 };

  it('never runs more environments than the reserved concurrency; the rest are throttled', async () => {
    const fn = localFunction('counter.handler', { reservedConcurrency: 2 });
    const { pool } = poolOf([fn]);

    const results = await Promise.all(Array.from({ length: 6 }, () => pool.invoke(fn.name, slow)));

    const served = results
      .filter((result) => result.outcome === 'success')
      .map((r) => payloadOf<Counted>(r));
    expect(served).toHaveLength(2);
    expect(new Set(served.map((counted) => counted.pid)).size).toBe(2);
    expect(results.filter((result) => result.outcome === 'throttled')).toHaveLength(4);
  });

  it('queues callers that ask to wait, within the same environments', async () => {
    const fn = localFunction('counter.handler', { reservedConcurrency: 2 });
    const { pool } = poolOf([fn]);

    const results = await Promise.all(
      Array.from({ length: 6 }, () => pool.invoke(fn.name, { sleepMs: 100 }, { queue: true })),
    );

    const served = results.map((result) => payloadOf<Counted>(result));
    expect(new Set(served.map((counted) => counted.pid)).size).toBe(2);
    expect(served.every((counted) => counted.inits === 1)).toBe(true);
    // Which environment takes which queued call depends on which finishes first; what must hold
    // is that each one served its share one after another: invocations 1, 2, … n, none twice.
    const byEnvironment = Map.groupBy(served, (counted) => counted.pid);
    for (const calls of byEnvironment.values()) {
      const numbers = calls.map((counted) => counted.invocations).sort((a, b) => a - b);
      expect(numbers).toEqual(numbers.map((_, index) => index + 1));
    }
  });

  it('serves queued callers first come, first served', async () => {
    const fn = localFunction('counter.handler', { reservedConcurrency: 1 });
    const { pool } = poolOf([fn]);

    const results = await Promise.all(
      [1, 2, 3, 4].map((n) => pool.invoke(fn.name, { n, sleepMs: 20 }, { queue: true })),
    );

    expect(results.map((result) => payloadOf<Counted>(result).invocations)).toEqual([1, 2, 3, 4]);
  });

  it('makes calls beyond the local cap wait, never throttled, and says once that it is not an AWS limit', async () => {
    const fn = localFunction('counter.handler');
    const { pool, lines } = poolOf([fn], { defaultConcurrency: 3 });

    const results = await Promise.all(Array.from({ length: 7 }, () => pool.invoke(fn.name, slow)));

    const served = results.map((result) => payloadOf<Counted>(result));
    expect(new Set(served.map((counted) => counted.pid)).size).toBe(3);
    const capLines = lines('aws-local').filter((line) => line.includes('local cap'));
    expect(capLines).toHaveLength(1);
    expect(capLines[0]).toContain('not an AWS limit');
  });

  it('throttles every call of a function with a reserved concurrency of 0, queued or not', async () => {
    const fn = localFunction('counter.handler', { reservedConcurrency: 0 });
    const { pool } = poolOf([fn]);

    expect(await pool.invoke(fn.name, {})).toEqual({ outcome: 'throttled', logTail: '' });
    expect(await pool.invoke(fn.name, {}, { queue: true })).toEqual({
      outcome: 'throttled',
      logTail: '',
    });
  });

  it('discards environments on demand: the call in flight crashes, the next one is cold', async () => {
    const fn = localFunction('counter.handler');
    const { pool } = poolOf([fn]);
    const warm = payloadOf<Counted>(await pool.invoke(fn.name, {}));

    // invoke() hands the event to the warm environment before it returns its promise.
    const inFlight = pool.invoke(fn.name, { sleepMs: 5000 });
    await pool.discardEnvironments(fn.name);
    const crashed = errorOf(await inFlight);
    const next = payloadOf<Counted>(await pool.invoke(fn.name, {}));

    expect(crashed.kind).toBe('crash');
    expect(crashed.error.errorMessage).toContain('signal: killed');
    expect(next.pid).not.toBe(warm.pid);
    expect(next.inits).toBe(1);
  });

  it('discards only the environment of an event asked to discard it: a concurrent call survives', async () => {
    const fn = localFunction('counter.handler', { reservedConcurrency: 2 });
    const { pool } = poolOf([fn]);

    const [discarded, survivor] = await Promise.all([
      pool.invoke(fn.name, { sleepMs: 200 }, { discardEnvironment: true }),
      pool.invoke(fn.name, { sleepMs: 400 }),
    ]);
    const next = payloadOf<Counted>(await pool.invoke(fn.name, {}));

    const gone = payloadOf<Counted>(discarded);
    const kept = payloadOf<Counted>(survivor);
    expect(isRunning(gone.pid)).toBe(false);
    expect(isRunning(kept.pid)).toBe(true);
    // The one idle environment left is the survivor's, warm.
    expect(next).toMatchObject({ pid: kept.pid, invocations: 2 });
  });

  it('stop() ends every environment', async () => {
    const fn = localFunction('counter.handler', { reservedConcurrency: 2 });
    const { pool } = poolOf([fn]);
    const pids = (await Promise.all([pool.invoke(fn.name, slow), pool.invoke(fn.name, slow)])).map(
      (result) => payloadOf<Counted>(result).pid,
    );

    await pool.stop();

    expect(pids.map(isRunning)).toEqual([false, false]);
    expect(await pool.invoke(fn.name, {})).toMatchObject({ outcome: 'throttled' });
  });

  it('names functions by name, ARN or $LATEST only, and rejects an unknown one', async () => {
    const fn = localFunction('counter.handler');
    const { pool } = poolOf([fn]);

    expect(pool.has(fn.name)).toBe(true);
    expect(pool.has(fn.arn)).toBe(true);
    expect(pool.has(`${fn.name}:$LATEST`)).toBe(true);
    expect(pool.has(`${fn.arn}:$LATEST`)).toBe(true);
    expect(pool.has(`${fn.name}:1`)).toBe(false);
    expect(pool.has(fn.arn.replace('000000000000', '111111111111'))).toBe(false);
    await expect(pool.invoke('nope', {})).rejects.toThrow(/nope/);
  });
});

describe('bundles', () => {
  let dir: string;
  beforeAll(async () => {
    // Outside the repository, so nothing resolves @aws-sdk/* from a node_modules above it.
    dir = await mkdtemp(join(tmpdir(), 'aws-local-bundle-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function bundle(source: string, format: 'esm' | 'cjs', out: string): Promise<string> {
    const entry = join(dir, `${out}.ts`);
    await writeFile(entry, source);
    const outfile = join(dir, out, format === 'esm' ? 'index.mjs' : 'index.js');
    // What NodejsFunction does: the SDK stays out of the bundle, the runtime provides it.
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format,
      sourcemap: true,
      external: ['@aws-sdk/*', '@smithy/*'],
      logLevel: 'silent',
    });
    return join(dir, out);
  }

  it('maps an error’s trace to the TypeScript source line when NODE_OPTIONS enables source maps', async () => {
    const source = [
      'interface Spin { bet: number }',
      '',
      'export const handler = async (event: Spin): Promise<number> => {',
      "  if (event.bet > 10) throw new RangeError('bet too high');",
      '  return event.bet;',
      '};',
      '',
    ].join('\n');
    const codeDir = await bundle(source, 'esm', 'mapped');
    // What NodejsFunction's `sourceMap: true` sets.
    const environment = { NODE_OPTIONS: '--enable-source-maps' };
    const fn = localFunction('index.handler', { name: 'mapped', codeDir, environment });
    const { pool } = poolOf([fn]);

    const result = errorOf(await pool.invoke(fn.name, { bet: 50 }));

    expect(result.error.errorType).toBe('RangeError');
    expect(result.error.trace.join('\n')).toMatch(/mapped\.ts:4:\d+/);
  });

  it.each(['esm', 'cjs'] as const)(
    'provides the AWS SDK v3 to a %s bundle without it',
    async (format) => {
      const source = [
        "import { SQSClient } from '@aws-sdk/client-sqs';",
        "import * as smithy from '@smithy/core';",
        'const client = new SQSClient({});',
        'export const handler = async () => ({',
        '  client: client.constructor.name,',
        '  region: await client.config.region(),',
        '  smithy: typeof smithy,',
        '});',
        '',
      ].join('\n');
      const codeDir = await bundle(source, format, `sdk-${format}`);
      const text = await readFile(
        join(codeDir, format === 'esm' ? 'index.mjs' : 'index.js'),
        'utf8',
      );
      expect(text).toContain('@aws-sdk/client-sqs');
      expect(text).not.toContain('class SQSClient');
      const fn = localFunction('index.handler', { name: `sdk-${format}`, codeDir });
      const { pool } = poolOf([fn], { region: 'eu-central-1' });

      const result = await pool.invoke(fn.name, {});

      expect(payloadOf(result)).toEqual({
        client: 'SQSClient',
        region: 'eu-central-1',
        smithy: 'object',
      });
    },
  );
});

describe('measurements (printed, not asserted)', () => {
  it('measures the warm invoke overhead and a cold start', async () => {
    const fn = localFunction('behaviours.echo');

    const warm = await measureWarmOverhead(fn, { ping: 1 }, 1000);
    const coldMs = await measureColdStart(fn, { ping: 1 });

    // biome-ignore lint/suspicious/noConsole: the figures are this test's output
    console.log(
      `warm p50: invoker ${warm.invokerP50Ms.toFixed(3)} ms, direct ${warm.directP50Ms.toFixed(4)} ms, ` +
        `overhead ${warm.overheadP50Ms.toFixed(3)} ms (${warm.calls} calls); cold start ${coldMs.toFixed(1)} ms`,
    );
    expect(warm.invokerP50Ms).toBeGreaterThan(0);
  });
});
