import express, { type Express, Router } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { jsonBody } from './body.ts';
import { DEFAULT_BODY_LIMIT_BYTES } from './json-request.ts';
import { notFoundHandler, problemHandler } from './problem-response.ts';
import { rateLimiter } from './rate-limit.ts';
import {
  requestId,
  requestLogging,
  type ServiceIdentity,
  servedByHeader,
} from './request-context.ts';

export interface ServiceAppOptions {
  identity: ServiceIdentity;
  log: Logger;
  /** Largest accepted JSON body; larger ones get 413. Default 32 KiB. */
  bodyLimitBytes?: number;
  /** Requests per client IP per minute; 0 disables. Default 600. */
  rateLimitPerMinute?: number;
  /** Express's `trust proxy`: hops (1 behind an ALB) or addresses. Default 'loopback'. */
  trustProxy?: number | string;
}

/**
 * The chassis every service starts from. Add routes to the returned app, then call
 * finishServiceApp(). The order matters: the request id comes before anything that can fail,
 * so every response, errors included, carries it.
 */
export function createServiceApp(opts: ServiceAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // The client IP (for rate limiting and logs) comes from X-Forwarded-For only when a trusted
  // proxy set it: by default a proxy on this machine; behind an ALB, one hop (TRUST_PROXY=1).
  app.set('trust proxy', opts.trustProxy ?? 'loopback');
  app.use(securityHeaders());
  app.use(requestId());
  app.use(servedByHeader(opts.identity));
  app.use(requestLogging(opts.log));
  const limiter = rateLimiter(opts.rateLimitPerMinute ?? 600, opts.log);
  if (limiter) app.use(limiter);
  app.use(jsonBody(opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES));
  return app;
}

/** Adds the 404 for unknown routes and the one problem+json error middleware. Call it last. */
export function finishServiceApp(app: Express, opts: { log: Logger }): void {
  app.use(notFoundHandler());
  app.use(problemHandler(opts.log));
}

// helmet's defaults, with a Content-Security-Policy that lets the Vite-built React app run:
// its scripts and API calls come from our own origin, React sets inline styles, images may be
// data: URLs. Nothing from other origins. upgrade-insecure-requests is dropped because a local
// run serves plain HTTP (http://<machine>:3000), where it would make the browser fetch the app's
// own scripts over https and fail; on AWS, CloudFront redirects every HTTP request to HTTPS.
function securityHeaders() {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        upgradeInsecureRequests: null,
      },
    },
  });
}

/**
 * A Router that matches paths exactly as written: case-sensitive and with no optional trailing
 * slash. Express matches loosely by default, so `/API/slots/wallet` would reach the slots
 * routes of a process even when a facade or a load balancer (which match exactly) sent that
 * path elsewhere, e.g. to the implementation that does not own the player's wallet.
 */
export function exactRouter(): Router {
  return Router({ caseSensitive: true, strict: true });
}
