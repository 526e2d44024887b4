import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogLine } from './helpers.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/slow-server.ts', import.meta.url));
const SLOW_MS = 800;
const IN_FLIGHT = 4;

/** The fixture's stdout as parsed log lines, with a way to wait for a given line. */
function watchLogs(child: ChildProcess) {
  const lines: LogLine[] = [];
  const waiters: { match: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const complete = buffered.split('\n');
    buffered = complete.pop() ?? '';
    for (const text of complete.filter(Boolean)) {
      const line = JSON.parse(text) as LogLine;
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.match(line))) waiter.resolve(line);
    }
  });
  const waitFor = (match: (line: LogLine) => boolean, count = 1) =>
    new Promise<void>((resolve) => {
      const check = () => lines.filter(match).length >= count && resolve();
      waiters.push({ match, resolve: check });
      check();
    });
  return { lines, waitFor };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

function tryConnect(port: number): Promise<'connected' | string> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/**
 * The fixture server as its own process (`node --import tsx`, as the stage runner starts
 * services), with IN_FLIGHT slow requests already running when it resolves.
 */
async function startWithRequestsInFlight() {
  const server = spawn(process.execPath, ['--import', 'tsx', FIXTURE, String(SLOW_MS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const exited = exitOf(server);
  const { lines, waitFor } = watchLogs(server);
  await waitFor((line) => line.msg === 'listening');
  const url = String(lines.find((line) => line.msg === 'listening')?.url);
  const responses = Array.from({ length: IN_FLIGHT }, () =>
    fetch(`${url}/slow`).then(async (res) => ({ status: res.status, body: await res.json() })),
  );
  await waitFor((line) => line.msg === 'slow request started', IN_FLIGHT);
  return { server, exited, lines, waitFor, url, responses };
}

describe('runUntilSignal', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    // Detached, so it has a process group of its own: end all of it.
    if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  });

  it('on SIGTERM finishes in-flight requests, refuses new connections, runs onShutdown, exits 0', async () => {
    // Arrange: a real server process with requests in flight.
    const started = await startWithRequestsInFlight();
    child = started.server;
    const { exited, lines, waitFor, responses } = started;
    const port = Number(new URL(started.url).port);

    // Act
    child.kill('SIGTERM');
    await waitFor((line) => String(line.msg).startsWith('stopped accepting connections'));
    const connectAfterSignal = await tryConnect(port);

    // Assert
    expect(connectAfterSignal).toBe('ECONNREFUSED');
    const results = await Promise.all(responses);
    expect(results).toEqual(
      Array.from({ length: IN_FLIGHT }, () => ({ status: 200, body: { done: true } })),
    );
    expect(await exited).toBe(0);
    const messages = lines.map((line) => line.msg);
    const lastCompleted = messages.lastIndexOf('request completed');
    expect(messages.filter((msg) => msg === 'request completed')).toHaveLength(IN_FLIGHT);
    expect(messages.indexOf('onShutdown ran')).toBeGreaterThan(lastCompleted);
    expect(messages.at(-1)).toBe('shutdown complete');
  });

  it('on Ctrl-C followed by SIGTERM (pnpm start) still finishes the requests in flight', async () => {
    // Arrange
    const started = await startWithRequestsInFlight();
    child = started.server;
    const { exited, lines, waitFor, responses } = started;

    // Act: the terminal's Ctrl-C, then the runner's SIGTERM a moment later.
    child.kill('SIGINT');
    await waitFor((line) => line.msg === 'shutting down');
    child.kill('SIGTERM');

    // Assert
    expect((await Promise.all(responses)).map((r) => r.status)).toEqual(Array(IN_FLIGHT).fill(200));
    expect(await exited).toBe(0);
    expect(lines.at(-1)?.msg).toBe('shutdown complete');
  });
});
