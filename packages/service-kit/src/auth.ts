import type { RequestHandler, Router } from 'express';
import { exactRouter } from './http.ts';
import {
  bearerToken,
  JWKS_MAX_AGE_SECONDS,
  type TokenIssuer,
  type TokenVerifier,
} from './tokens.ts';

/** Lets a request through only with a valid `Authorization: Bearer <token>`; sets res.locals.user. */
export function requireAuth(verifier: TokenVerifier): RequestHandler {
  return async (req, res, next) => {
    res.locals.user = await verifier.verify(bearerToken(req.headers.authorization));
    next();
  };
}

/** GET /.well-known/jwks.json: the public keys that verify this issuer's tokens. */
export function jwksRoute(issuer: TokenIssuer): Router {
  const router = exactRouter();
  router.get('/.well-known/jwks.json', (_req, res) => {
    // Verifiers cache the set; five minutes bounds how long a rotated-out key stays trusted.
    res.set('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`).json(issuer.jwks());
  });
  return router;
}
