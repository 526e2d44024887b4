import type { ClientRequest, IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { facadeProblems, isUnforwardable } from './problems.ts';
import {
  startCall,
  type Upstream,
  type UpstreamCall,
  type Upstreams,
  unavailable,
} from './upstreams.ts';

/** Sends one request on to a target and streams the target's answer back. */
export type Forward<Target extends string> = (
  target: Target,
  timeoutMs: number,
  req: Request,
  res: Response,
  next: NextFunction,
) => void;

/** What the facade knows about one request on its way to a target. */
interface Exchange {
  call: UpstreamCall;
  req: Request;
  res: Response;
  next: NextFunction;
  /** The request to the target, once http-proxy-middleware has made it. */
  upstreamRequest?: ClientRequest;
  timedOut: boolean;
}

/**
 * One http-proxy-middleware per target, wrapped with what the middleware does not do: a
 * deadline per route, a circuit breaker per target, and errors as problem+json. Bodies are
 * streamed both ways, never parsed: the facade has no body parser, so a spin request reaches
 * the target byte for byte, however large.
 */
export function createForwarder<Target extends string>(
  upstreams: Upstreams<Target>,
): Forward<Target> {
  // The middleware's events only carry req and res; this finds the exchange they belong to.
  const exchanges = new WeakMap<IncomingMessage, Exchange>();

  const proxyTo = (upstream: Upstream) =>
    createProxyMiddleware<Request, Response>({
      target: upstream.url,
      agent: upstream.agent,
      on: {
        proxyReq(upstreamRequest, req) {
          const exchange = exchanges.get(req);
          if (exchange === undefined) return;
          exchange.upstreamRequest = upstreamRequest;
          // The deadline passed before the connection pool had a socket for this request.
          if (exchange.timedOut) upstreamRequest.destroy();
        },
        proxyRes(_upstreamResponse, req, res) {
          // Any answer, a 500 included, proves the target is up: only silence is a failure.
          exchanges.get(req)?.call.end('success');
          // The target's X-Served-By replaces the facade's, so the client learns who answered.
          res.removeHeader('X-Served-By');
        },
        // Handling errors here also replaces the middleware's default plain-text 502/504 page.
        error(err, req) {
          const exchange = exchanges.get(req);
          if (exchange !== undefined) failExchange(exchange, upstream, err);
        },
      },
    });

  const proxies = new Map<Target, ReturnType<typeof proxyTo>>();
  const proxyFor = (target: Target) => {
    const proxy = proxies.get(target) ?? proxyTo(upstreams[target]);
    proxies.set(target, proxy);
    return proxy;
  };

  return (target, timeoutMs, req, res, next) => {
    const upstream = upstreams[target];
    let call: UpstreamCall;
    try {
      call = startCall(upstream);
    } catch (problem) {
      next(problem);
      return;
    }
    const exchange: Exchange = { call, req, res, next, timedOut: false };
    exchanges.set(req, exchange);
    const deadline = setTimeout(() => timeOut(exchange, timeoutMs), timeoutMs);
    res.once('close', () => {
      clearTimeout(deadline);
      // Ended already, unless the client hung up before the target answered.
      call.end('abandoned');
    });
    // The middleware reports failures through the error event above; its promise never rejects.
    void proxyFor(target)(req, res, next);
  };
}

/**
 * The target could not be reached or broke off: 503, or a cut connection if it was answering.
 * A request Node refuses to send (an invalid header or path) is the client's fault: 400.
 */
function failExchange(exchange: Exchange, upstream: Upstream, err: Error): void {
  // The deadline has answered already; destroying the request to the target brought us here.
  if (exchange.timedOut) return;
  const { res } = exchange;
  if (isUnforwardable(err)) {
    exchange.call.end('abandoned');
    res.locals.log.warn({ err }, 'request cannot be forwarded');
    if (res.headersSent) res.destroy();
    else exchange.next(facadeProblems.unforwardable());
    return;
  }
  // A client that hung up tells us nothing about the target.
  const clientGone = res.destroyed || res.writableEnded;
  exchange.call.end(clientGone ? 'abandoned' : 'failure');
  if (clientGone) return;
  res.locals.log.warn({ err }, 'target unavailable');
  if (res.headersSent) res.destroy();
  else exchange.next(unavailable(upstream));
}

/**
 * The route's deadline passed and the request to the target is abandoned: 504, or 408 when the
 * client was still sending its body, since then the slow party is the client (a slow upload
 * must not open the target's circuit).
 */
function timeOut(exchange: Exchange, timeoutMs: number): void {
  exchange.timedOut = true;
  exchange.upstreamRequest?.destroy();
  const { req, res } = exchange;
  if (!req.complete) {
    exchange.call.end('abandoned');
    res.locals.log.warn({ timeoutMs }, 'client too slow to send its request');
    if (res.headersSent) res.destroy();
    else exchange.next(facadeProblems.uploadTimeout());
    return;
  }
  exchange.call.end('failure');
  res.locals.log.warn({ timeoutMs }, 'target too slow');
  // Headers already sent mean the answer started and stalled: all we can do is cut it off.
  if (res.headersSent) res.destroy();
  else exchange.next(facadeProblems.timeout());
}
