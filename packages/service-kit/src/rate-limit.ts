import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Logger } from 'pino';
import { problems } from './errors.ts';

// Probes from load balancers and orchestrators must never be throttled into "unhealthy".
const UNLIMITED_PATHS = new Set(['/healthz', '/readyz']);
// Service-to-service calls (stage 02 on): no gateway or load balancer route leads under
// /internal, and a per-client limit would throttle a whole calling service as one client.
const INTERNAL_PREFIX = '/internal/';

/**
 * A fixed one-minute window per client IP, kept in memory: enough to stop a runaway client
 * of one process. (Several replicas would share a store such as Redis, or rely on a WAF.)
 * Returns undefined when the limit is 0, i.e. disabled.
 */
export function rateLimiter(perMinute: number, log: Logger): RequestHandler | undefined {
  if (perMinute <= 0) return undefined;
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    // RateLimit/RateLimit-Policy headers (IETF draft 8), and Retry-After on a 429.
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skip: (req) => UNLIMITED_PATHS.has(req.path) || req.path.startsWith(INTERNAL_PREFIX),
    // Hand the 429 to the error middleware, so it is problem+json like every other error.
    handler: (_req, res, next) => {
      next(problems.tooManyRequests(Number(res.getHeader('Retry-After') ?? 60)));
    },
    logger: {
      warn: (err, msg) => log.warn({ err }, msg ?? 'rate limiter warning'),
      error: (err, msg) => log.error({ err }, msg ?? 'rate limiter error'),
    },
  });
}

/**
 * The client a request comes from, as rate limits count it: `req.ip`, which believes
 * X-Forwarded-For only as far as `trust proxy` says, and for IPv6 the /56 network around it
 * (one subscriber is given a whole block, so single addresses would be free to rotate). It is
 * the key the limiter above uses by default.
 */
export function clientKey(req: Request): string {
  return ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}
