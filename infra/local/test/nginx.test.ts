import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningNginx, startNginx } from '../src/bench/nginx.ts';

/** What the echo origin saw of one request. */
interface Echo {
  origin: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface EchoOrigin {
  url: string;
  /** TCP connections accepted so far: keep-alive shows as fewer connections than requests. */
  connections(): number;
  close(): Promise<void>;
}

/** A plain node:http origin on port 0 that answers 201 with what it received. */
async function startEchoOrigin(name: string): Promise<EchoOrigin> {
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const echo: Echo = {
        origin: name,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      res.writeHead(201, { 'content-type': 'application/json', 'x-origin': name });
      res.end(JSON.stringify(echo));
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function getEcho(url: string, init?: RequestInit): Promise<Echo> {
  const response = await fetch(url, init);
  return (await response.json()) as Echo;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids whose parent is `pid`, from /proc (nginx's workers are its master's children). */
function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // "pid (command) state ppid …": the command may hold spaces, so read after its ")".
        const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
        return Number(ppid) === pid;
      } catch {
        return false; // exited while we looked
      }
    })
    .map(Number);
}

function acceptsConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// Installing nginx with apt-get, when it is missing, can take a minute.
const INSTALL_TIMEOUT_MS = 180_000;

describe('startNginx in front of one origin', () => {
  let origin: EchoOrigin;
  let nginx: RunningNginx;

  beforeAll(async () => {
    origin = await startEchoOrigin('only');
    nginx = await startNginx({ upstream: origin.url });
  }, INSTALL_TIMEOUT_MS);

  afterAll(async () => {
    await nginx?.stop();
    await origin?.close();
  });

  it('forwards method, path, query, body and headers, and returns the origin answer as is', async () => {
    const response = await fetch(`${nginx.url}/api/threads?limit=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-custom': 'kept' },
      body: '{"title":"hello"}',
    });
    const echo = (await response.json()) as Echo;

    expect(response.status).toBe(201);
    expect(response.headers.get('x-origin')).toBe('only');
    expect(echo).toMatchObject({
      method: 'POST',
      url: '/api/threads?limit=2',
      body: '{"title":"hello"}',
    });
    expect(echo.headers).toMatchObject({
      'content-type': 'application/json',
      'x-custom': 'kept',
      host: new URL(nginx.url).host,
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': new URL(nginx.url).host,
    });
  });

  it("passes the caller's X-Request-Id through", async () => {
    const echo = await getEcho(`${nginx.url}/healthz`, {
      headers: { 'x-request-id': 'bench-42' },
    });

    expect(echo.headers['x-request-id']).toBe('bench-42');
  });

  it('gives a request without an X-Request-Id a fresh one', async () => {
    const first = await getEcho(`${nginx.url}/healthz`);
    const second = await getEcho(`${nginx.url}/healthz`);

    expect(first.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    expect(second.headers['x-request-id']).not.toBe(first.headers['x-request-id']);
  });

  it('keeps its connection to the origin open between requests', async () => {
    const before = origin.connections();

    const echoes: Echo[] = [];
    for (let i = 0; i < 5; i += 1) echoes.push(await getEcho(`${nginx.url}/api/threads`));

    expect(origin.connections() - before).toBeLessThanOrEqual(1);
    // HTTP/1.1 without "Connection: close": the origin may keep the socket.
    expect(echoes.map((e) => e.headers.connection)).toEqual(Array(5).fill(undefined));
  });
});

describe('startNginx with origins by path prefix', () => {
  it('sends each path to the origin of its longest matching prefix', async () => {
    const monolith = await startEchoOrigin('monolith');
    const slots = await startEchoOrigin('slots');
    const nginx = await startNginx({
      upstreams: { '/': monolith.url, '/api/slots/': slots.url },
    });
    try {
      const machine = await getEcho(`${nginx.url}/api/slots/machine`);
      const threads = await getEcho(`${nginx.url}/api/threads`);

      expect(machine).toMatchObject({ origin: 'slots', url: '/api/slots/machine' });
      expect(threads).toMatchObject({ origin: 'monolith', url: '/api/threads' });
    } finally {
      await nginx.stop();
      await Promise.all([monolith.close(), slots.close()]);
    }
  });

  it('refuses a prefix that would have to be escaped in the config', async () => {
    await expect(
      startNginx({ upstreams: { '/a; deny all': 'http://127.0.0.1:1' } }),
    ).rejects.toThrow(/prefix/);
  });
});

describe('RunningNginx.stop', () => {
  it('ends the master and its workers and closes the port', async () => {
    const origin = await startEchoOrigin('only');
    const nginx = await startNginx({ upstream: origin.url });
    await getEcho(nginx.url); // answered, so the workers are up
    const workers = childPids(nginx.pid);
    try {
      expect(workers.length).toBeGreaterThan(0);

      await nginx.stop();

      expect(isRunning(nginx.pid)).toBe(false);
      expect(workers.filter(isRunning)).toEqual([]);
      expect(await acceptsConnections(nginx.url)).toBe(false);
    } finally {
      await nginx.stop();
      await origin.close();
    }
  });
});
