import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createDependency,
  createLogger,
  type Dependency,
  DependencyError,
  type DependencyOptions,
  isDependencyDown,
} from '../src/index.ts';
import { closedPort } from './closed-port.ts';
import { fakeClock, type LogLine, memoryDestination } from './helpers.ts';

const ranksSchema = z.object({ ranks: z.record(z.string(), z.number().int()) });
const RANKS = { ranks: { alice: 1, bob: 7 } };
const PATH = '/internal/leaderboard-ranks?players=alice,bob';

/** What a stub answers one request with. */
type Answer =
  | { status: number; body?: unknown }
  /** Close the connection without an answer. */
  | 'drop'
  /** Never answer. */
  | 'hang'
  /** Send the headers of a 200, then never the body. */
  | 'stall-body'
  /** A 200 whose body is not JSON. */
  | 'not-json';

interface Stub {
  url: string;
  /** Every request it received, in order. */
  received: { url: string; requestId: string | undefined }[];
  close(): Promise<void>;
}

const stubs: Stub[] = [];

afterEach(async () => {
  await Promise.all(stubs.splice(0).map((stub) => stub.close()));
});

/** A real HTTP server on 127.0.0.1, port 0, answering request n with `answer(n)` (n from 0). */
async function startStub(answer: (n: number) => Answer): Promise<Stub> {
  const received: Stub['received'] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const n = received.length;
    received.push({ url: req.url ?? '', requestId: req.headers['x-request-id']?.toString() });
    respond(answer(n), req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const stub: Stub = {
    url: `http://127.0.0.1:${address.port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        // Hanging requests and keep-alive sockets would keep close() waiting.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  stubs.push(stub);
  return stub;
}

function respond(answer: Answer, req: IncomingMessage, res: ServerResponse): void {
  if (answer === 'drop') req.socket.destroy();
  else if (answer === 'hang') return;
  else if (answer === 'stall-body')
    res.writeHead(200, { 'content-type': 'application/json' }).write('{');
  else if (answer === 'not-json')
    res.writeHead(200, { 'content-type': 'application/json' }).end('<html>');
  else {
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body ?? {}));
  }
}

/** Fails the first `failures` requests with `failure`, then answers RANKS. */
function flaky(failures: number, failure: Answer): (n: number) => Answer {
  return (n) => (n < failures ? failure : { status: 200, body: RANKS });
}

/** A client with short, test-sized timings; the log lines are kept for assertions. */
function dependencyOn(
  url: string | undefined,
  overrides: Partial<Omit<DependencyOptions, 'log' | 'baseUrl'>> = {},
): { slots: Dependency; logs: LogLine[] } {
  const destination = memoryDestination();
  const slots = createDependency({
    name: 'slots',
    baseUrl: url,
    log: createLogger({ service: 'forum', level: 'debug', destination }),
    timeoutMs: 100,
    retries: 2,
    backoffMs: 10,
    ...overrides,
  });
  return { slots, logs: destination.lines };
}

/** The DependencyError a call rejects with (fails the test if it resolves or throws anything else). */
async function failureOf(call: Promise<unknown>): Promise<DependencyError> {
  const outcome = await call.then(
    (value) => new Error(`expected a DependencyError, got ${JSON.stringify(value)}`),
    (err: unknown) => err,
  );
  if (!(outcome instanceof DependencyError)) throw outcome;
  return outcome;
}

function messages(logs: LogLine[]): (string | undefined)[] {
  return logs.map((line) => line.msg);
}

describe('createDependency', () => {
  it('returns the answer parsed by the schema and forwards X-Request-Id', async () => {
    const stub = await startStub(() => ({ status: 200, body: { ...RANKS, extra: 'dropped' } }));
    const { slots } = dependencyOn(stub.url);

    const answer = await slots.getJson(PATH, ranksSchema, { requestId: 'req-42' });

    expect(answer).toEqual(RANKS);
    expect(stub.received).toEqual([{ url: PATH, requestId: 'req-42' }]);
  });

  it('appends the path to the base URL, keeping the base path and the host', async () => {
    const stub = await startStub(() => ({ status: 200, body: RANKS }));
    const { slots } = dependencyOn(`${stub.url}/slots/`);

    await slots.getJson('//elsewhere.example/ranks', ranksSchema);

    expect(stub.received.map((request) => request.url)).toEqual([
      '/slots//elsewhere.example/ranks',
    ]);
  });

  it('rejects a base URL that is not http(s)', () => {
    expect(() => dependencyOn('ftp://127.0.0.1/')).toThrow(/http\(s\) base URL/);
  });

  it.each<[string, Answer]>([
    ['a dropped connection', 'drop'],
    ['a 502', { status: 502 }],
    ['a 503', { status: 503 }],
    ['a 504', { status: 504 }],
    ['a timeout', 'hang'],
  ])('retries %s and succeeds when a later attempt does', async (_failure, failure) => {
    const stub = await startStub(flaky(2, failure));
    const { slots } = dependencyOn(stub.url, { retries: 2, breaker: { failureThreshold: 5 } });

    const answer = await slots.getJson(PATH, ranksSchema);

    expect(answer).toEqual(RANKS);
    expect(stub.received).toHaveLength(3);
    expect(slots.state).toBe('closed');
  });

  it('gives up after 1 + retries attempts with the reason of the last one', async () => {
    const stub = await startStub(() => ({ status: 503 }));
    const { slots, logs } = dependencyOn(stub.url, {
      retries: 2,
      breaker: { failureThreshold: 5 },
    });

    const error = await failureOf(slots.getJson(PATH, ranksSchema, { requestId: 'req-1' }));

    expect(error).toMatchObject({
      dependency: 'slots',
      reason: 'bad-status',
      status: 503,
      attempts: 3,
    });
    expect(stub.received).toHaveLength(3);
    expect(logs.filter((line) => line.msg === 'dependency call failed')).toEqual([
      expect.objectContaining({
        dependency: 'slots',
        reason: 'bad-status',
        attempts: 3,
        requestId: 'req-1',
      }),
    ]);
  });

  it('reports a closed port as unreachable, after retrying it', async () => {
    const { slots } = dependencyOn(`http://127.0.0.1:${await closedPort()}`);

    const error = await failureOf(slots.getJson(PATH, ranksSchema));

    expect(error).toMatchObject({ reason: 'unreachable', attempts: 3 });
    expect(isDependencyDown(error)).toBe(true);
  });

  it.each([400, 404, 409, 429, 500])('does not retry a %i', async (status) => {
    const stub = await startStub(() => ({ status }));
    const { slots } = dependencyOn(stub.url, { retries: 2 });

    const error = await failureOf(slots.getJson(PATH, ranksSchema));

    expect(error).toMatchObject({ reason: 'bad-status', status, attempts: 1 });
    expect(stub.received).toHaveLength(1);
  });

  it('does not count a 4xx against the circuit: the dependency is up', async () => {
    const stub = await startStub(() => ({ status: 404 }));
    const { slots } = dependencyOn(stub.url, { breaker: { failureThreshold: 2 } });

    for (let i = 0; i < 4; i++) await failureOf(slots.getJson(PATH, ranksSchema));

    expect(stub.received).toHaveLength(4);
    expect(slots.state).toBe('closed');
  });

  it.each<[string, Answer]>([
    ['the wrong shape', { status: 200, body: { ranks: { alice: 'first' } } }],
    ['invalid JSON', 'not-json'],
  ])('treats a 200 with %s as a bad answer, without retrying', async (_case, answer) => {
    const stub = await startStub(() => answer);
    const { slots } = dependencyOn(stub.url, { retries: 2 });

    const error = await failureOf(slots.getJson(PATH, ranksSchema));

    expect(error).toMatchObject({ reason: 'bad-answer', attempts: 1 });
    expect(stub.received).toHaveLength(1);
    expect(isDependencyDown(error)).toBe(false);
  });

  it('times out every attempt and the whole call within worstCaseMs', async () => {
    const stub = await startStub(() => 'hang');
    const { slots } = dependencyOn(stub.url, {
      timeoutMs: 50,
      retries: 2,
      backoffMs: 20,
      breaker: { failureThreshold: 5 },
    });
    const started = performance.now();

    const error = await failureOf(slots.getJson(PATH, ranksSchema));
    const elapsed = performance.now() - started;

    expect(slots.worstCaseMs).toBe(3 * 50 + 20 + 40);
    expect(error).toMatchObject({ reason: 'timeout', attempts: 3 });
    expect(stub.received).toHaveLength(3);
    // Timers fire on a busy event loop of a shared machine: allow that much scheduling slack.
    expect(elapsed).toBeLessThan(slots.worstCaseMs + 50);
  });

  it('times out an answer whose body stalls after the headers', async () => {
    const stub = await startStub(() => 'stall-body');
    const { slots } = dependencyOn(stub.url, { timeoutMs: 50, retries: 0 });

    const error = await failureOf(slots.getJson(PATH, ranksSchema));

    expect(error).toMatchObject({ reason: 'timeout', attempts: 1 });
  });

  it('states its worst case: every attempt timing out after the longest backoffs', () => {
    const { slots } = dependencyOn('http://127.0.0.1:1', {
      timeoutMs: 300,
      retries: 2,
      backoffMs: 50,
    });

    expect(slots.worstCaseMs).toBe(300 + 50 + 300 + 100 + 300);
  });

  describe('backoff', () => {
    it.each([0, 0.5, 0.999_999])(
      'waits random × backoffMs · 2^n before retry n (random = %s), never more',
      async (draw) => {
        const stub = await startStub(() => ({ status: 503 }));
        const waits: number[] = [];
        const { slots } = dependencyOn(stub.url, {
          retries: 3,
          backoffMs: 100,
          breaker: { failureThreshold: 10 },
          random: () => draw,
          sleep: async (ms) => {
            waits.push(ms);
          },
        });

        await failureOf(slots.getJson(PATH, ranksSchema));

        const ceilings = [100, 200, 400];
        expect(waits).toEqual(ceilings.map((ceiling) => Math.round(draw * ceiling)));
        waits.forEach((wait, n) => {
          expect(wait).toBeGreaterThanOrEqual(0);
          expect(wait).toBeLessThanOrEqual(ceilings[n] ?? 0);
        });
      },
    );

    it('draws a fresh random number for every wait, so callers do not retry in step', async () => {
      const stub = await startStub(() => ({ status: 503 }));
      const draws = [0.9, 0.1, 0.6];
      const waits: number[] = [];
      const { slots } = dependencyOn(stub.url, {
        retries: 3,
        backoffMs: 100,
        breaker: { failureThreshold: 10 },
        random: () => draws.shift() ?? Number.NaN,
        sleep: async (ms) => {
          waits.push(ms);
        },
      });

      await failureOf(slots.getJson(PATH, ranksSchema));

      expect(waits).toEqual([90, 20, 240]);
    });
  });

  describe('circuit breaker', () => {
    it('opens after the failure threshold, then fails at once without a request', async () => {
      const stub = await startStub(() => ({ status: 503 }));
      const clock = fakeClock();
      const { slots, logs } = dependencyOn(stub.url, {
        retries: 2,
        breaker: { failureThreshold: 3, openMs: 1000 },
        now: clock.now,
      });
      await failureOf(slots.getJson(PATH, ranksSchema));
      const requestsBefore = stub.received.length;

      const refused = [];
      for (let i = 0; i < 20; i++) refused.push(await failureOf(slots.getJson(PATH, ranksSchema)));

      expect(requestsBefore).toBe(3);
      expect(slots.state).toBe('open');
      expect(stub.received).toHaveLength(3);
      expect(
        refused.every((error) => error.reason === 'circuit-open' && error.attempts === 0),
      ).toBe(true);
      expect(isDependencyDown(refused[0])).toBe(true);
      expect(messages(logs).filter((msg) => msg?.startsWith('circuit'))).toEqual([
        'circuit opened: failing calls at once',
      ]);
    });

    it('stops the retries of the call whose failures opened it', async () => {
      const stub = await startStub(() => ({ status: 503 }));
      const { slots } = dependencyOn(stub.url, { retries: 2, breaker: { failureThreshold: 2 } });

      const error = await failureOf(slots.getJson(PATH, ranksSchema));

      expect(error).toMatchObject({ reason: 'circuit-open', attempts: 2 });
      expect(error.cause).toMatchObject({ reason: 'bad-status', status: 503 });
      expect(stub.received).toHaveLength(2);
    });

    it('lets one trial through after openMs and closes when it succeeds', async () => {
      const stub = await startStub(flaky(1, { status: 503 }));
      const clock = fakeClock();
      const { slots, logs } = dependencyOn(stub.url, {
        retries: 0,
        breaker: { failureThreshold: 1, openMs: 1000 },
        now: clock.now,
      });
      await failureOf(slots.getJson(PATH, ranksSchema));
      clock.advance(999);
      const tooEarly = await failureOf(slots.getJson(PATH, ranksSchema));

      clock.advance(1);
      const answer = await slots.getJson(PATH, ranksSchema);

      expect(tooEarly.reason).toBe('circuit-open');
      expect(answer).toEqual(RANKS);
      expect(stub.received).toHaveLength(2);
      expect(slots.state).toBe('closed');
      expect(messages(logs).filter((msg) => msg?.startsWith('circuit'))).toEqual([
        'circuit opened: failing calls at once',
        'circuit half-open: trying one call',
        'circuit closed: dependency answering again',
      ]);
    });

    it('opens again for openMs when the trial fails', async () => {
      const stub = await startStub(() => 'drop');
      const clock = fakeClock();
      const { slots } = dependencyOn(stub.url, {
        retries: 0,
        breaker: { failureThreshold: 1, openMs: 1000 },
        now: clock.now,
      });
      await failureOf(slots.getJson(PATH, ranksSchema));
      clock.advance(1000);

      const trial = await failureOf(slots.getJson(PATH, ranksSchema));
      const afterTrial = await failureOf(slots.getJson(PATH, ranksSchema));

      expect(trial.reason).toBe('unreachable');
      expect(afterTrial.reason).toBe('circuit-open');
      expect(slots.state).toBe('open');
      expect(stub.received).toHaveLength(2);
    });
  });
});

describe('Dependency.call: the same policy over any transport', () => {
  /** A dependency reached without HTTP (as through an AWS SDK client): it has no base URL. */
  function sdkDependency(overrides: Partial<Omit<DependencyOptions, 'log' | 'baseUrl'>> = {}) {
    const { slots, logs } = dependencyOn(undefined, { name: 'ranks', timeoutMs: 50, ...overrides });
    return { ranks: slots, logs };
  }

  /** An attempt that counts its calls and keeps the signals it was given. */
  function scripted<T>(run: (n: number, signal: AbortSignal) => Promise<T>) {
    const signals: AbortSignal[] = [];
    const attempt = (signal: AbortSignal) => {
      signals.push(signal);
      return run(signals.length - 1, signal);
    };
    return { attempt, signals };
  }

  class ThrottledError extends Error {
    override readonly name = 'TooManyRequestsException';
  }

  it('returns what the attempt resolves to, after one attempt', async () => {
    const { ranks } = sdkDependency();
    const { attempt, signals } = scripted(async () => RANKS);

    expect(await ranks.call(attempt)).toEqual(RANKS);
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(false);
  });

  it('aborts the signal at timeoutMs and fails the call with reason timeout, after retrying', async () => {
    const { ranks } = sdkDependency({ timeoutMs: 50, retries: 1 });
    const { attempt, signals } = scripted(
      (_n, signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason));
        }),
    );

    const error = await failureOf(ranks.call(attempt));

    expect(error).toMatchObject({ dependency: 'ranks', reason: 'timeout', attempts: 2 });
    expect(signals.map((signal) => signal.aborted)).toEqual([true, true]);
    expect(isDependencyDown(error)).toBe(true);
  });

  it('does not retry a timeout when retryTimeouts is false, but still retries what retryable accepts', async () => {
    const { ranks } = sdkDependency({ timeoutMs: 50, retries: 1, retryTimeouts: false });
    const hang = scripted(() => new Promise(() => {}));
    const throttledTwice = scripted(async () => {
      throw new ThrottledError('Rate exceeded');
    });

    const timedOut = await failureOf(ranks.call(hang.attempt));
    const throttled = await failureOf(
      ranks.call(throttledTwice.attempt, { retryable: () => true }),
    );

    expect(timedOut).toMatchObject({ reason: 'timeout', attempts: 1 });
    expect(hang.signals).toHaveLength(1);
    expect(throttled).toMatchObject({ reason: 'failed', attempts: 2 });
  });

  it('keeps the deadline even when the attempt ignores its signal', async () => {
    const { ranks } = sdkDependency({ timeoutMs: 50, retries: 0 });
    const started = performance.now();

    const error = await failureOf(ranks.call(() => new Promise(() => {})));

    expect(error.reason).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('does not retry a thrown error by default, and reports it as reason failed with the error as cause', async () => {
    const { ranks } = sdkDependency();
    const throttled = new ThrottledError('Rate exceeded');
    const { attempt, signals } = scripted(async () => {
      throw throttled;
    });

    const error = await failureOf(ranks.call(attempt));

    expect(error).toMatchObject({ reason: 'failed', attempts: 1, status: undefined });
    expect(error.cause).toBe(throttled);
    expect(error.message).toContain('TooManyRequestsException');
    expect(signals).toHaveLength(1);
    expect(isDependencyDown(error)).toBe(true);
  });

  it('retries a thrown error the retryable predicate accepts, up to 1 + retries attempts', async () => {
    const { ranks } = sdkDependency({ retries: 2 });
    const seen: unknown[] = [];
    const { attempt, signals } = scripted(async (n) => {
      if (n < 2) throw new ThrottledError('Rate exceeded');
      return RANKS;
    });

    const answer = await ranks.call(attempt, {
      retryable: (err) => {
        seen.push(err);
        return err instanceof ThrottledError;
      },
    });

    expect(answer).toEqual(RANKS);
    expect(signals).toHaveLength(3);
    expect(seen.every((err) => err instanceof ThrottledError)).toBe(true);
  });

  it('gives up after 1 + retries attempts even when every error is retryable', async () => {
    const { ranks } = sdkDependency({ retries: 2 });
    const { attempt, signals } = scripted(async () => {
      throw new ThrottledError('Rate exceeded');
    });

    const error = await failureOf(ranks.call(attempt, { retryable: () => true }));

    expect(error).toMatchObject({ reason: 'failed', attempts: 3 });
    expect(signals).toHaveLength(3);
  });

  it('keeps the reason of a DependencyError the attempt throws for this dependency', async () => {
    const { ranks } = sdkDependency();
    const wrongShape = new DependencyError({
      dependency: 'ranks',
      reason: 'bad-answer',
      detail: 'answered an unexpected shape',
      attempts: 1,
    });

    const error = await failureOf(
      ranks.call(async () => {
        throw wrongShape;
      }),
    );

    expect(error).toMatchObject({ reason: 'bad-answer', attempts: 1 });
    expect(error.message).toBe('ranks: answered an unexpected shape');
    // A wrong shape is a bug to fix, not an outage: no 503.
    expect(isDependencyDown(error)).toBe(false);
  });

  it('opens the breaker after the failure threshold, then fails at once without calling', async () => {
    const clock = fakeClock();
    const { ranks, logs } = sdkDependency({
      retries: 0,
      breaker: { failureThreshold: 2, openMs: 1000 },
      now: clock.now,
    });
    const { attempt, signals } = scripted(async () => {
      throw new ThrottledError('Rate exceeded');
    });
    await failureOf(ranks.call(attempt));
    await failureOf(ranks.call(attempt));

    const refused = await failureOf(ranks.call(attempt));

    expect(ranks.state).toBe('open');
    expect(refused).toMatchObject({ reason: 'circuit-open', attempts: 0 });
    expect(signals).toHaveLength(2);
    expect(messages(logs)).toContain('circuit opened: failing calls at once');
  });

  it('refuses getJson when it has no base URL', async () => {
    const { ranks } = sdkDependency();

    await expect(ranks.getJson(PATH, ranksSchema)).rejects.toThrow(TypeError);
  });
});
