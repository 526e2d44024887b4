import {
  type BreakerOptions,
  healthRoutes,
  type Logger,
  notFoundHandler,
  problemHandler,
  requestId,
  requestLogging,
  type ServiceIdentity,
  servedByHeader,
} from '@course/service-kit';
import express, { type Express, type RequestHandler } from 'express';
import { type Composer, composeRoute, isSplit } from './compose.ts';
import { forwardingHeaders } from './forwarding.ts';
import { playerIdOf } from './player.ts';
import { facadeProblems } from './problems.ts';
import { createForwarder, type Forward } from './proxy.ts';
import { chooseTarget, DEFAULT_TIMEOUT_MS, matchRoute, type RouteTable } from './route-table.ts';
import { noteRouting } from './routing-log.ts';
import { closeUpstreams, createUpstreams, type Upstreams } from './upstreams.ts';

export interface FacadeOptions<Target extends string> {
  /** Who serves what: the stage's route table. */
  table: RouteTable<Target>;
  /** The base URL of every target of the table, e.g. `{ monolith: 'http://127.0.0.1:4001' }`. */
  targets: Record<Target, string>;
  /** The facade's own X-Served-By, on the answers it makes itself (health, problems, merges). */
  identity: ServiceIdentity;
  log: Logger;
  /**
   * Composers by route name: while such a route's canary share is strictly between 0 and 100,
   * a GET asks every target and answers with the composer's merge of their bodies.
   */
  compose?: Partial<Record<string, Composer<Target>>>;
  /** Per-target circuit breakers: `failureThreshold` (default 3), `openMs` (default 1 000). */
  breaker?: BreakerOptions;
  /**
   * Express's `trust proxy`: which X-Forwarded-* headers to believe. Default: none, because
   * the facade is the front door; behind a load balancer, 1 (one hop).
   */
  trustProxy?: number | string | false;
  /**
   * What answers the requests no route matches, before the facade's 404: e.g. the web app's
   * static files, when the facade is also the local stand-in for a CDN. Default: none.
   */
  fallback?: RequestHandler;
}

export interface Facade {
  /** Serve it with service-kit's listen(); it has no listener of its own. */
  app: Express;
  /** Closes the pooled connections to the targets. Call it after the server has closed. */
  close(): void;
}

/**
 * The strangler facade: one public address in front of the old and the new implementations,
 * sending each request where the route table says. It streams requests and answers through
 * without parsing them, and answers itself only for its health checks and for failures.
 */
export function createFacade<Target extends string>(options: FacadeOptions<Target>): Facade {
  const { table, log, compose = {} } = options;
  checkComposers(table, compose);
  const upstreams = createUpstreams(table.targets, options.targets, options.breaker ?? {}, log);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);
  // No body parser anywhere: bodies are streamed to the targets untouched.
  app.use(requestId());
  // On every answer the facade makes itself; a target's answer brings its own (see proxy.ts).
  app.use(servedByHeader(options.identity));
  app.use(requestLogging(log));
  // The facade's own health: it is alive and ready while it can route. Never the targets':
  // one target down must not take the whole front door out of service, since the routes to
  // the other targets still work (and the down target's routes answer 503 quickly).
  app.use(healthRoutes({ ready: async () => {} }));
  app.use(forwardingHeaders());
  app.use(routeRequests(table, upstreams, compose, createForwarder(upstreams)));
  if (options.fallback) app.use(options.fallback);
  app.use(notFoundHandler());
  app.use(problemHandler(log));

  return { app, close: () => closeUpstreams(upstreams) };
}

/** Picks the route and the target of a request, then forwards it (or composes, or refuses). */
function routeRequests<Target extends string>(
  table: RouteTable<Target>,
  upstreams: Upstreams<Target>,
  compose: Partial<Record<string, Composer<Target>>>,
  forward: Forward<Target>,
): RequestHandler {
  return (req, res, next) => {
    // req.path: without the query string, as an ALB path pattern sees it.
    const route = matchRoute(table, req.path);
    if (route === undefined) {
      next();
      return;
    }
    noteRouting(res, { route: route.name });
    if (route.frozen) {
      next(facadeProblems.frozen());
      return;
    }
    const timeoutMs = route.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const composer = compose[route.name];
    if (composer !== undefined && req.method === 'GET' && isSplit(route)) {
      noteRouting(res, { target: `${route.target}+${route.canary?.target}` });
      composeRoute(route, composer, upstreams, timeoutMs, req, res).catch(next);
      return;
    }
    const target = chooseTarget(route, playerIdOf(req.get('Authorization')));
    noteRouting(res, { target });
    forward(target, timeoutMs, req, res, next);
  };
}

// A composer for a route that does not exist is a typo that would silently never run.
function checkComposers(table: RouteTable<string>, compose: Record<string, unknown>): void {
  const names = new Set(table.routes.map((route) => route.name));
  const unknown = Object.keys(compose).filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new Error(`Composers for routes that are not in the table: ${unknown.join(', ')}`);
  }
}
