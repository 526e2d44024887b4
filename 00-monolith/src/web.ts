import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response, Router } from 'express';

const placeholder = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Slots &amp; Forum — stage 00</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>The monolith is running</h1>
<p>The web front end has not been built yet, so this placeholder stands in for it.
The API answers under <code>/api</code>, for example
<a href="/api/slots/machine">/api/slots/machine</a> and <a href="/api/threads">/api/threads</a>.</p>
<p>Health: <a href="/healthz">/healthz</a> · readiness: <a href="/readyz">/readyz</a></p>
</body></html>`;

/**
 * Paths the API owns: an unknown one must get a problem+json 404, never the web page. From
 * stage 02 on, /internal/ is for service-to-service calls, which a gateway must not answer.
 */
function isApiPath(path: string): boolean {
  return (
    path.startsWith('/api/') ||
    path === '/api' ||
    path.startsWith('/internal/') ||
    path === '/healthz' ||
    path === '/readyz' ||
    path.startsWith('/.well-known/')
  );
}

/**
 * Serves the built React app (one build for every stage) or a placeholder until it is built.
 * Vite puts content-hashed files under /assets, so they can be cached forever; index.html
 * must be revalidated so a new deploy is picked up.
 */
export function webRoutes({ distDir }: { distDir: string }): Router {
  const indexHtml = join(distDir, 'index.html');
  const built = existsSync(indexHtml);
  const router = Router();

  if (built) {
    router.use(
      '/assets',
      express.static(join(distDir, 'assets'), {
        immutable: true,
        maxAge: '1y',
        fallthrough: false,
      }),
    );
    router.use(express.static(distDir, { index: false, maxAge: 0 }));
  }

  // Client-side routes (/forum/123, /leaderboard…) all load the same page.
  router.get('/{*path}', (req: Request, res: Response, next: NextFunction) => {
    if (isApiPath(req.path) || !req.accepts('html')) return next();
    res.set('Cache-Control', 'no-cache');
    if (built) res.sendFile(indexHtml);
    else res.type('html').send(placeholder);
  });
  return router;
}
