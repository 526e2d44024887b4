import type { ClientRequest, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Logger } from '@course/service-kit';
import type { Request, Response } from 'express';
import { facadeProblems, isUnforwardable } from './problems.ts';
import { ownerOf, type Route } from './route-table.ts';
import {
  startCall,
  type Upstream,
  type UpstreamCall,
  type Upstreams,
  unavailable,
} from './upstreams.ts';

/**
 * Builds one answer out of every target's answer, for a route whose data is split between
 * them while the canary is between 0 and 100 %, e.g. a leaderboard of wallets that live in two
 * databases. It receives each target's 200 JSON body and returns the merged JSON body.
 */
export type Composer<Target extends string> = (input: {
  /** Each target's 200 JSON body: the route's own target first, then its canary. */
  responses: { target: Target; body: unknown }[];
  /** The target that owns a player's data at the route's current share. */
  ownerOf(playerId: string): Target;
}) => unknown;

/** True when the route's canary splits the traffic, so each target holds only part of the data. */
export function isSplit(route: Route<string>): boolean {
  const share = route.canary?.share ?? 0;
  return share > 0 && share < 100;
}

interface UpstreamAnswer<Target extends string> {
  target: Target;
  upstream: Upstream;
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Answers a GET by asking every target of the route the same question (same path, query and
 * headers, request id included), in parallel, each with the route's deadline and its target's
 * circuit breaker, then merging their bodies with the composer.
 * - all answer 200: 200 with the composer's result, served by the facade itself;
 * - one answers 4xx (a bad query, a rate limit): that answer, relayed as it is, since the
 *   client must see its own mistake rather than an outage;
 * - otherwise (unreachable, too slow, 5xx): the 503 (or 504) problem, because half an answer
 *   would be a wrong one, e.g. a leaderboard without half of the players.
 */
export async function composeRoute<Target extends string>(
  route: Route<Target>,
  composer: Composer<Target>,
  upstreams: Upstreams<Target>,
  timeoutMs: number,
  req: Request,
  res: Response,
): Promise<void> {
  const targets = route.canary === undefined ? [route.target] : [route.target, route.canary.target];
  const headers = composeRequestHeaders(req.headers);
  const permitted = startCalls(targets.map((target) => ({ target, upstream: upstreams[target] })));
  const answers = await Promise.all(
    permitted.map((question) =>
      getFrom(question, req.originalUrl, headers, timeoutMs, res.locals.log),
    ),
  );
  const clientError = answers.find((answer) => answer.status >= 400 && answer.status < 500);
  if (clientError !== undefined) {
    relay(clientError, res);
    return;
  }
  const failed = answers.find((answer) => answer.status !== 200);
  if (failed !== undefined) {
    res.locals.log.warn({ target: failed.target, status: failed.status }, 'cannot compose');
    throw unavailable(failed.upstream);
  }
  const responses = answers.map((answer) => ({
    target: answer.target,
    body: parseJson(answer, res),
  }));
  res.json(composer({ responses, ownerOf: (playerId) => ownerOf(route, playerId) }));
}

// Hop-by-hop headers belong to one connection, not to the request.
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/**
 * The client's headers as the targets should get them. The facade must read the bodies, so it
 * asks for them uncompressed and unconditional: a 304 "you have it already" has no body to
 * merge, and the client never had the merged body anyway.
 */
function composeRequestHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ...incoming, 'accept-encoding': 'identity' };
  for (const name of [...HOP_BY_HOP, 'content-length', 'if-none-match', 'if-modified-since']) {
    delete headers[name];
  }
  // http.request refuses a header whose value is undefined.
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) delete headers[name];
  }
  return headers;
}

/**
 * A permit from every target's circuit breaker, or none: when one circuit is open, the other
 * targets are not bothered with a question whose answer could not be used.
 */
function startCalls<Target extends string>(
  questions: { target: Target; upstream: Upstream }[],
): Question<Target>[] {
  const started: Question<Target>[] = [];
  try {
    for (const question of questions) {
      started.push({ ...question, call: startCall(question.upstream) });
    }
  } catch (problem) {
    for (const { call } of started) call.end('abandoned');
    throw problem;
  }
  return started;
}

/** One target to ask, with its breaker's permit. */
interface Question<Target extends string> {
  target: Target;
  upstream: Upstream;
  call: UpstreamCall;
}

/** A GET to one target through its connection pool, the body read whole. */
function getFrom<Target extends string>(
  { target, upstream, call }: Question<Target>,
  path: string,
  headers: OutgoingHttpHeaders,
  timeoutMs: number,
  log: Logger,
): Promise<UpstreamAnswer<Target>> {
  const deadline = AbortSignal.timeout(timeoutMs);
  return new Promise((resolve, reject) => {
    let request: ClientRequest;
    try {
      request = upstream.request(
        {
          // Host and port from the target, the path as the client sent it: never new URL(path,
          // base), which would send "//elsewhere/x" to another host.
          protocol: upstream.url.protocol,
          hostname: upstream.url.hostname,
          port: upstream.url.port,
          path,
          headers,
          agent: upstream.agent,
          signal: deadline,
        },
        (response) => {
          call.end('success');
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              target,
              upstream,
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks),
            }),
          );
          response.on('error', fail);
        },
      );
    } catch (err) {
      // Node refused to build the request, e.g. an invalid header: nothing was learned about
      // the target, and its breaker's permit must come back, or a half-open circuit stays stuck.
      call.end('abandoned');
      log.warn({ err, target }, 'request cannot be forwarded');
      reject(isUnforwardable(err) ? facadeProblems.unforwardable() : err);
      return;
    }
    request.on('error', fail);
    request.end();

    function fail(err: Error): void {
      call.end('failure');
      if (deadline.aborted) {
        log.warn({ target, timeoutMs }, 'target too slow');
        reject(facadeProblems.timeout());
      } else {
        log.warn({ err, target }, 'target unavailable');
        reject(unavailable(upstream));
      }
    }
  });
}

function relay(answer: UpstreamAnswer<string>, res: Response): void {
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined && !HOP_BY_HOP.includes(name) && name !== 'content-length') {
      res.setHeader(name, value);
    }
  }
  res.status(answer.status).end(answer.body);
}

// A target that says 200 but sends no JSON is broken: the client gets the outage answer.
function parseJson(answer: UpstreamAnswer<string>, res: Response): unknown {
  try {
    return JSON.parse(answer.body.toString('utf8'));
  } catch (err) {
    res.locals.log.warn({ err, target: answer.target }, 'cannot compose: the body is not JSON');
    throw unavailable(answer.upstream);
  }
}
