import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  createRemoteJWKSet,
  importJWK,
  type JWK,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from 'jose';
import { isDependencyDown } from './dependency-down.ts';
import { HttpError, problems } from './errors.ts';
import { ed25519SigningJwk } from './signing-key.ts';

/** How long a published key set may be cached, by HTTP caches and by verifiers. */
export const JWKS_MAX_AGE_SECONDS = 300;

/** Who a request acts for, as carried by a token: `sub` is the id, `username` a claim. */
export interface AuthUser {
  id: string;
  username: string;
}

export interface TokenIssuer {
  issue(user: AuthUser): Promise<string>;
  /** The public half of the signing key, served at /.well-known/jwks.json. */
  jwks(): { keys: JWK[] };
}

export interface TokenVerifier {
  /** Resolves to the token's user; rejects with a 401 problem for any invalid token. */
  verify(token: string): Promise<AuthUser>;
}

// EdDSA over Ed25519: small keys, fast, and no parameter choices to get wrong.
const ALGORITHM = 'EdDSA';
const DEFAULT_AUDIENCE = 'course-api';
const DEFAULT_TTL_SECONDS = 60 * 60;

/** A new private Ed25519 JWK with a `kid`, e.g. to put in a service's config. */
export async function generateSigningKey(): Promise<JWK> {
  return ed25519SigningJwk();
}

/**
 * Signs tokens for users. Only the issuing service holds the private key; every other service
 * verifies with the public key from the JWKS and never has to call the issuer per request.
 */
export async function createTokenIssuer(opts: {
  privateJwk?: JWK;
  issuer: string;
  audience?: string;
  ttlSeconds?: number;
}): Promise<TokenIssuer> {
  const privateJwk = opts.privateJwk ?? (await generateSigningKey());
  assertEd25519PrivateKey(privateJwk);
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(privateJwk));
  const signingKey = await importJWK(privateJwk, ALGORITHM);
  const publicJwk: JWK = {
    kty: privateJwk.kty,
    crv: privateJwk.crv,
    x: privateJwk.x,
    kid,
    alg: ALGORITHM,
    use: 'sig',
  };
  const audience = opts.audience ?? DEFAULT_AUDIENCE;
  const ttlSeconds = opts.ttlSeconds ?? DEFAULT_TTL_SECONDS;

  return {
    issue: (user) =>
      new SignJWT({ username: user.username })
        .setProtectedHeader({ alg: ALGORITHM, kid, typ: 'JWT' })
        .setSubject(user.id)
        .setIssuer(opts.issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(nowSeconds() + ttlSeconds)
        .sign(signingKey),
    jwks: () => ({ keys: [publicJwk] }),
  };
}

/**
 * Verifies tokens against a key set: the issuer's keys in memory (same process), or the URL
 * of its JWKS (another service). A remote key set is fetched once and cached by jose.
 */
export function createTokenVerifier(opts: {
  jwks: { keys: JWK[] } | URL;
  issuer: string;
  audience?: string;
}): TokenVerifier {
  const keySet: JWTVerifyGetKey =
    opts.jwks instanceof URL
      ? // Refetch at least every five minutes, as the issuer's Cache-Control asks: that bounds
        // how long a key the issuer has rotated out is still trusted here.
        createRemoteJWKSet(opts.jwks, { cacheMaxAge: JWKS_MAX_AGE_SECONDS * 1000 })
      : createLocalJWKSet(opts.jwks);
  const options = {
    issuer: opts.issuer,
    audience: opts.audience ?? DEFAULT_AUDIENCE,
    algorithms: [ALGORITHM],
  };

  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, keySet, options);
        if (typeof payload.sub !== 'string' || typeof payload.username !== 'string') {
          throw problems.unauthorized('The token lacks the sub or username claim.');
        }
        return { id: payload.sub, username: payload.username };
      } catch (err) {
        throw toAuthProblem(err);
      }
    },
  };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * The token of an `Authorization: Bearer <token>` header; anything else (no header, another
 * scheme, characters a token cannot have) is a 401 problem asking for a bearer token.
 */
export function bearerToken(authorization: string | undefined): string {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization ?? '');
  const token = match?.[1];
  if (token === undefined) throw problems.unauthorized('A bearer token is required.');
  return token;
}

function toAuthProblem(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof joseErrors.JWTExpired) return problems.unauthorized('The token has expired.');
  // The issuer's JWKS endpoint is unreachable: the token may well be valid, so this is not the
  // caller's fault. Answer 503 (retry later) instead of logging the user out with a 401.
  if (err instanceof joseErrors.JWKSTimeout || isDependencyDown(err)) {
    return problems.unavailable('The token issuer could not be reached.');
  }
  return problems.unauthorized('The token is invalid.');
}

function assertEd25519PrivateKey(jwk: JWK): void {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.d || !jwk.x) {
    throw new Error('The signing key must be a private Ed25519 JWK (kty "OKP", crv "Ed25519").');
  }
}
