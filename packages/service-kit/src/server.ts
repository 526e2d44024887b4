import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Logger } from 'pino';

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting connections and resolves once the in-flight requests have finished. */
  close(): Promise<void>;
}

/**
 * The only place a service listens. Port 0 picks a free port, which is what tests use; the
 * chosen port is in the result.
 */
export async function listen(
  app: Express,
  opts: { port: number; host: string; log: Logger },
): Promise<RunningServer> {
  const server = createServer();
  const closing = trackInFlightRequests(server);
  server.on('request', app);
  // An AWS load balancer keeps idle connections open for 60 s. If Node closed them first
  // (its default is 5 s), a request racing the close would get a 502 from the balancer.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  opts.log.info({ url }, 'listening');
  return { url, port, close: () => closeGracefully(server, closing) };
}

/**
 * Runs until SIGTERM (what ECS, Auto Scaling and the local runner send) or SIGINT (Ctrl-C),
 * then shuts down in the order that loses no work: stop accepting connections, let in-flight
 * requests finish (at most drainMs), then onShutdown() (close the database pool), then exit 0.
 * A second Ctrl-C exits at once; a SIGTERM during the drain changes nothing.
 */
export function runUntilSignal(
  server: RunningServer,
  opts: { log: Logger; onShutdown: () => Promise<void>; drainMs?: number },
): void {
  const drainMs = opts.drainMs ?? 10_000;
  let shuttingDown = false;

  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      // Ctrl-C reaches every process of the terminal's group and the local runner then sends
      // SIGTERM too: only a person pressing Ctrl-C again means "stop waiting".
      if (signal !== 'SIGINT') return;
      opts.log.warn({ signal }, 'second Ctrl-C, exiting now');
      process.exit(1);
    }
    shuttingDown = true;
    opts.log.info({ signal }, 'shutting down');
    shutDown(server, opts.onShutdown, drainMs, opts.log).then(
      () => {
        opts.log.info('shutdown complete');
        process.exit(0);
      },
      (err: unknown) => {
        opts.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };

  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

async function shutDown(
  server: RunningServer,
  onShutdown: () => Promise<void>,
  drainMs: number,
  log: Logger,
): Promise<void> {
  const closed = server.close();
  log.info({ drainMs }, 'stopped accepting connections; draining in-flight requests');
  const drained = await Promise.race([closed.then(() => true), delay(drainMs).then(() => false)]);
  // Requests still running now are cut off when the process exits.
  if (!drained) log.warn({ drainMs }, 'drain timed out; abandoning the remaining requests');
  await onShutdown();
}

function closeGracefully(server: Server, closing: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    // close() stops accepting and resolves once every open connection has ended.
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections();
    closing();
  });
}

/**
 * server.close() waits for keep-alive connections, which a browser or load balancer keeps
 * open for a minute. So once closing, every response tells its client "Connection: close",
 * and a connection is ended as soon as its last response is sent. Returns "start closing".
 */
function trackInFlightRequests(server: Server): () => void {
  const inFlight = new Set<ServerResponse>();
  let closing = false;
  const closeWhenDone = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
    // Backstop for a response whose headers were already sent: its connection turns idle once
    // the response has finished, and idle connections can be closed safely.
    res.once('finish', () => setImmediate(() => server.closeIdleConnections()));
  };

  // Registered before the app's listener, so it runs before the app can send headers.
  server.on('request', (_req, res) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    if (closing) closeWhenDone(res);
  });

  return () => {
    closing = true;
    for (const res of inFlight) closeWhenDone(res);
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
