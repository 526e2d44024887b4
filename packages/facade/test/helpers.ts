import { createHash } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { createLogger, type LoggerOptions, listen } from '@course/service-kit';
import { UnsecuredJWT } from 'jose';
import { createFacade, type FacadeOptions } from '../src/index.ts';

export const PROBLEM_JSON = /^application\/problem\+json/;

/** What an upstream saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodyLength: number;
  bodySha256: string;
}

/** The JSON body the default upstream handler answers with. */
export interface Echo extends SeenRequest {
  served: string;
}

export type UpstreamHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  seen: SeenRequest,
) => void | Promise<void>;

export interface TestUpstream {
  name: string;
  url: string;
  port: number;
  /** Every request that reached this upstream, in order. */
  requests: SeenRequest[];
  /** Stops listening and cuts every open connection: the process is gone. */
  kill(): Promise<void>;
  /** Listens again on the same port, like a restarted process. */
  restart(): Promise<void>;
}

/**
 * A stand-in for a service behind the facade: a bare node:http server on 127.0.0.1 that reads
 * each body whole, records the request and, by default, answers with what it saw as JSON, with
 * its own X-Served-By. `GET …?delay=<ms>` waits that long before answering.
 */
export async function startUpstream(
  name: string,
  handler: UpstreamHandler = echo(name),
): Promise<TestUpstream> {
  const requests: SeenRequest[] = [];
  const server = createServer(async (req, res) => {
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      // The facade gave up mid-body (a deadline, a client that hung up): nothing to answer.
      return;
    }
    const seen: SeenRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      bodyLength: body.length,
      bodySha256: sha256(body),
    };
    requests.push(seen);
    await handler(req, res, seen);
  });
  const listenOn = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listenOn(0);
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    kill: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    restart: () => listenOn(port),
  };
}

/** The default upstream: answers 200 with what it saw, after `?delay=` ms if asked. */
export function echo(name: string): UpstreamHandler {
  return async (req, res, seen) => {
    const delay = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('delay') ?? 0);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const body: Echo = { served: name, ...seen };
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'X-Served-By': `${name}@01 (process)`,
      'X-Request-Id': String(req.headers['x-request-id'] ?? ''),
    });
    res.end(JSON.stringify(body));
  };
}

/** An upstream answer with a fixed status and JSON body. */
export function answer(name: string, status: number, body: unknown): UpstreamHandler {
  return (_req, res) => {
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'X-Served-By': `${name}@01 (process)`,
    });
    res.end(JSON.stringify(body));
  };
}

export interface TestFacade {
  url: string;
  logs: LogLine[];
  close(): Promise<void>;
}

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

export const FACADE_IDENTITY = { service: 'facade', stage: '01', kind: 'process' } as const;
export const FACADE_SERVED_BY = 'facade@01 (process)';

/** createFacade served by service-kit's listen() on a free port, its log lines kept in memory. */
export async function startFacade<Target extends string>(
  options: Omit<FacadeOptions<Target>, 'identity' | 'log'>,
): Promise<TestFacade> {
  const destination = memoryDestination();
  const log = createLogger({ service: 'facade', level: 'debug', destination });
  const facade = createFacade({ identity: FACADE_IDENTITY, log, ...options });
  const server = await listen(facade.app, { port: 0, host: '127.0.0.1', log });
  return {
    url: server.url,
    logs: destination.lines,
    async close() {
      await server.close();
      facade.close();
    },
  };
}

/** A pino destination that keeps every line in memory, parsed. */
function memoryDestination(): NonNullable<LoggerOptions['destination']> & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return { lines, write: (line: string) => void lines.push(JSON.parse(line) as LogLine) };
}

/**
 * A bearer token for a player. Unsigned on purpose: the facade only reads the subject, and
 * these upstreams verify nothing.
 */
export function bearer(playerId: string): string {
  return `Bearer ${new UnsecuredJWT({}).setSubject(playerId).encode()}`;
}

/** GET through the facade as a player, returning the upstream's echo. */
export async function getAs(url: string, playerId?: string): Promise<Echo> {
  const headers: Record<string, string> = playerId ? { Authorization: bearer(playerId) } : {};
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
  return (await res.json()) as Echo;
}

/** Runs the tasks with at most `width` in flight, keeping the order of the results. */
export async function inBatches<T>(tasks: (() => Promise<T>)[], width = 50): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < tasks.length; start += width) {
    results.push(...(await Promise.all(tasks.slice(start, start + width).map((task) => task()))));
  }
  return results;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Sends raw bytes to a server and resolves with everything it answers until it closes the
 * connection, e.g. an HTTP/1.0 request without Host, which fetch cannot send.
 */
export function rawRequest(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.write(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
}

/** Resolves after ms milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once the condition holds; fails after timeoutMs. */
export async function waitFor(condition: () => boolean, timeoutMs = 1000): Promise<void> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error('condition not met in time');
    await sleep(5);
  }
}
