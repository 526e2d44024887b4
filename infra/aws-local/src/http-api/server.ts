/*
 * One HTTP API of the stage's CDK app, served on its own port: the stage selects the path
 * prefix, the route selects the function, and the function is invoked synchronously (never
 * queued: API Gateway calls Lambda's Invoke API and takes its answer as it comes). Everything
 * API Gateway answers by itself — no route, throttled, too large, the function failed or was too
 * slow — comes back in API Gateway's own words (`{"message": …}`), and every answer carries the
 * `apigw-requestid` header, so a learner can match it with the event's `requestContext.requestId`.
 */
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Invoker } from '../lambda/invoker.ts';
import { listen } from '../listen.ts';
import { type HttpApiRoute, LocalAwsError, type LocalHttpApi } from '../model.ts';
import { type RuntimeOptions, scaledMs } from '../options.ts';
import { buildEvent, decodeLeniently, newRequestId } from './event.ts';
import { GATEWAY, type GatewayAnswer, jsonMessage, toAnswer } from './response.ts';
import { compileRoutes, matchRoute } from './routes.ts';
import { TokenBucket } from './throttle.ts';

export interface HttpApiOptions extends RuntimeOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** `requestContext.accountId`; default 000000000000. */
  accountId?: string;
}

export interface RunningHttpApi {
  /** The API's base URL (a named stage's routes are under `<url>/<stage>/`). */
  url: string;
  stop(): Promise<void>;
}

/** API Gateway's payload quota for HTTP APIs: 10 MB. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** API Gateway's quota for the request line and headers of an HTTP API: 10,240 bytes. */
const MAX_HEADER_BYTES = 10_240;

export async function startHttpApi(
  api: LocalHttpApi,
  invoker: Invoker,
  options: HttpApiOptions,
): Promise<RunningHttpApi> {
  const routes = compileRoutes(api.routes);
  for (const route of api.routes) {
    if (!invoker.has(route.functionName)) {
      throw new LocalAwsError(
        `route "${route.routeKey}" integrates function "${route.functionName}", which is not served`,
        route.logicalId,
        'Target',
      );
    }
  }
  const buckets = new Map<HttpApiRoute, TokenBucket>();
  if (api.throttling) {
    const { burstLimit, rateLimit } = api.throttling;
    for (const route of api.routes) buckets.set(route, new TokenBucket(burstLimit, rateLimit));
  }
  const accountId = options.accountId ?? '000000000000';
  const log = (line: string) => options.log('aws-local', `${api.logicalId} ${line}`);

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string) {
    const now = new Date();
    const method = req.method ?? 'GET';
    const target = splitTarget(req.url ?? '/');
    if (!target) return send(res, requestId, GATEWAY.badRequest());
    const rawPath = decodeLeniently(target.path);
    const routePath = stagelessPath(rawPath, api.stageName);
    if (routePath === undefined) return send(res, requestId, GATEWAY.notFound());
    if (Number(req.headers['content-length'] ?? 0) > MAX_PAYLOAD_BYTES) {
      return send(res, requestId, GATEWAY.tooLarge(), true);
    }
    const match = matchRoute(routes, method, routePath);
    if (!match) return send(res, requestId, GATEWAY.notFound());
    if (buckets.get(match.route)?.take() === false) {
      return send(res, requestId, GATEWAY.tooManyRequests());
    }
    const body = await readBody(req);
    if (body === 'aborted') return;
    if (body === 'too-large') return send(res, requestId, GATEWAY.tooLarge(), true);
    const event = buildEvent({
      api,
      accountId,
      match,
      method,
      rawPath,
      rawQueryString: target.query,
      rawHeaders: req.rawHeaders,
      sourceIp: plainIp(req.socket.remoteAddress),
      localPort: req.socket.localPort ?? 0,
      body,
      requestId,
      now,
    });
    send(res, requestId, await integrate(match.route, event));
  }

  /** Invokes the function, bounded by the integration's timeout. */
  async function integrate(route: HttpApiRoute, event: unknown): Promise<GatewayAnswer> {
    const timeoutMs = scaledMs(route.integrationTimeoutMs / 1000, options.timeScale);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs).unref();
    });
    const invocation = invoker
      .invoke(route.functionName, event, { queue: false })
      .catch((error: unknown) => ({ outcome: 'rejected' as const, error }));
    const result = await Promise.race([invocation, timedOut]);
    clearTimeout(timer);
    const where = `${route.routeKey} → ${route.functionName}`;
    if (result === 'timeout') {
      log(`${where}: 503, the integration timed out after ${timeoutMs} ms`);
      return GATEWAY.unavailable();
    }
    switch (result.outcome) {
      case 'success': {
        const answer = toAnswer(result.payload);
        if (!answer) log(`${where}: 500, the function's response is malformed`);
        return answer ?? GATEWAY.internalError();
      }
      case 'error':
        log(
          `${where}: 500, ${result.kind}: ${result.error.errorType}: ${result.error.errorMessage}`,
        );
        return GATEWAY.internalError();
      case 'throttled':
        log(`${where}: 500, the function is throttled (reserved concurrency in use)`);
        return GATEWAY.internalError();
      case 'rejected':
        log(`${where}: 500, ${String(result.error)}`);
        return GATEWAY.internalError();
    }
  }

  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    const requestId = newRequestId();
    handle(req, res, requestId).catch((error: unknown) => {
      log(`500, ${String(error)}`);
      send(res, requestId, GATEWAY.internalError());
    });
  });
  server.on('clientError', answerMalformed);
  // Keep idle connections longer than the clients that pool them (the stage's gateway keeps
  // them open without a limit): with Node's default of 5 s, a request sent on a pooled
  // connection just as the server closes it ends in "socket hang up", though API Gateway would
  // have answered it. The services of the course do the same (service-kit's listen).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return listen(server, options.port ?? 0, options.host);
}

function send(res: ServerResponse, requestId: string, answer: GatewayAnswer, close = false) {
  if (res.headersSent || res.destroyed) return;
  const headers = answer.headers.flat();
  headers.push('apigw-requestid', requestId, 'content-length', String(answer.body.length));
  // After refusing a body it has not read, the gateway closes the connection rather than read it.
  if (close) headers.push('connection', 'close');
  res.writeHead(answer.status, headers);
  res.end(answer.body);
}

/** A request Node's parser refuses (bad request line, headers over the quota) still gets JSON. */
function answerMalformed(error: NodeJS.ErrnoException, socket: Socket) {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const answer =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? jsonMessage(431, 'Request Header Fields Too Large')
      : GATEWAY.badRequest();
  socket.end(
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n` +
      `content-type: application/json\r\ncontent-length: ${answer.body.length}\r\n` +
      `apigw-requestid: ${newRequestId()}\r\nconnection: close\r\n\r\n${answer.body}`,
  );
}

function splitTarget(url: string): { path: string; query: string } | undefined {
  let target = url;
  if (!target.startsWith('/')) {
    // absolute-form (`GET http://host/path`), which a proxy-style client may send
    if (!URL.canParse(target)) return undefined;
    const parsed = new URL(target);
    target = parsed.pathname + parsed.search;
  }
  const q = target.indexOf('?');
  return q === -1
    ? { path: target, query: '' }
    : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/** The path routes see: a named stage's prefix taken off; undefined when the stage does not match. */
function stagelessPath(path: string, stageName: string): string | undefined {
  if (stageName === '$default') return path;
  const prefix = `/${stageName}`;
  if (path === prefix) return '/';
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (value: Buffer | 'too-large' | 'aborted') => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD_BYTES) settle('too-large');
      else chunks.push(chunk);
    });
    req.on('end', () => settle(Buffer.concat(chunks)));
    req.on('error', () => settle('aborted'));
    req.on('close', () => settle('aborted'));
  });
}

function plainIp(address: string | undefined): string {
  if (!address) return '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
