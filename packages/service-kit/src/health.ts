import type { Router } from 'express';
import { problems } from './errors.ts';
import { exactRouter } from './http.ts';

const DEFAULT_READY_TIMEOUT_MS = 2000;

/**
 * GET /healthz (liveness): the process answers. Never touches the database, or a database
 * outage would make the orchestrator restart healthy processes.
 * GET /readyz (readiness): `ready()` (e.g. `SELECT 1`) succeeds within the timeout; while it
 * does not, the load balancer sends traffic elsewhere.
 */
export function healthRoutes(opts: { ready: () => Promise<void>; timeoutMs?: number }): Router {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const router = exactRouter();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    try {
      await withTimeout(opts.ready(), timeoutMs);
    } catch (err) {
      res.locals.log.warn({ err }, 'readiness check failed');
      // The reason stays in the log: its text may describe internal hosts.
      throw problems.unavailable('The service is not ready.');
    }
    res.json({ status: 'ready' });
  });

  return router;
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`readiness check timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
