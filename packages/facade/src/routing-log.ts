import type { Response } from 'express';

/**
 * Stamps the request's log lines from now on with these fields, its access line included:
 * service-kit's requestLogging writes that line with whatever logger the request has by then.
 */
export function noteRouting(res: Response, fields: { route: string } | { target: string }): void {
  res.locals.log = res.locals.log.child(fields);
}
