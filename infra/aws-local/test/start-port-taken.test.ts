import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startLocalAws } from '../src/index.ts';
import { FIXTURE_ASSEMBLY_DIR } from './fixture-app.ts';

// The HTTP APIs' ports are chosen before the model is built and bound after it: this stands for
// another program taking the chosen port in between.
const taken = vi.hoisted(() => ({ port: 0 }));
vi.mock('../src/free-port.ts', () => ({ freePort: async () => taken.port }));

let blocker: Server;
beforeAll(async () => {
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const address = blocker.address();
  taken.port = typeof address === 'object' && address ? address.port : 0;
});
afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

/** The TCP servers listening in this process. */
function listeningServers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length;
}

/** Polls `read` until it returns `expected` or 5 s pass; returns the last value read. */
async function settlesTo(read: () => number, expected: number): Promise<number> {
  const deadline = Date.now() + 5_000;
  let value = read();
  while (value !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = read();
  }
  return value;
}

describe('a start whose port is taken', () => {
  it('fails with EADDRINUSE and leaves nothing running', async () => {
    const before = listeningServers();

    const start = startLocalAws({ assemblyDir: FIXTURE_ASSEMBLY_DIR, log: () => {} });

    await expect(start).rejects.toMatchObject({ code: 'EADDRINUSE' });
    // fauxqs and the Invoke API had started: both are closed again.
    // (A closed server's handle is released on a later turn of the event loop.)
    expect(await settlesTo(listeningServers, before)).toBe(before);
  });
});
