import type { Response } from 'express';
import type { Logger } from 'pino';
import { problems } from './errors.ts';
import type { AuthUser } from './tokens.ts';

/** What the chassis puts on `res.locals` for every request. */
export type Locals = {
  /** The validated incoming X-Request-Id, or a new UUID. */
  requestId: string;
  /** A child logger that stamps every line with the request id. */
  log: Logger;
  /** Set by requireAuth. */
  user?: AuthUser;
};

// Types res.locals in every handler of every service that imports the kit, so handlers read
// `res.locals.log` without casts or `any`. Express's typings merge this global interface into
// `res.locals`; augmenting it needs no import of 'express-serve-static-core', which pnpm
// keeps out of reach of packages that do not depend on it directly.
declare global {
  namespace Express {
    interface Locals extends ServiceLocals {}
  }
}

type ServiceLocals = Locals;

/** The authenticated user of a route behind requireAuth. */
export function currentUser(res: Response): AuthUser {
  const user = res.locals.user;
  if (!user) throw problems.unauthorized('A bearer token is required.');
  return user;
}
