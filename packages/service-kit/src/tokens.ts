import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  importJWK,
  type JWK,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { Logger } from 'pino';
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
 * of its JWKS (another service), fetched on first use and refetched when the cached copy is
 * older than JWKS_MAX_AGE_SECONDS. A remote verifier logs (warn) a refetch that failed.
 */
export function createTokenVerifier(
  opts: { issuer: string; audience?: string } & (
    | { jwks: { keys: JWK[] } }
    | { jwks: URL; log: Logger }
  ),
): TokenVerifier {
  const keySet: JWTVerifyGetKey =
    'log' in opts ? remoteKeySet(opts.jwks, opts.log) : createLocalJWKSet(opts.jwks);
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

/** The longest a JWKS fetch may take: a verifier waits for it before answering its request. */
export const JWKS_TIMEOUT_MS = 1_000;

/**
 * After a refetch failed, how long the last keys are used before the next try: while the issuer
 * is down (or hangs), requests then cost nothing but the check, not a refetch each.
 */
export const JWKS_RETRY_AFTER_FAILURE_MS = 30_000;

/** The issuer's key set could not be fetched or was not a key set: its service is down. */
class KeySetUnavailable extends Error {
  override readonly name = 'KeySetUnavailable';
}

/**
 * The issuer's published keys, refetched at least every five minutes as its Cache-Control asks:
 * that bounds how long a key the issuer has rotated out is still trusted here.
 *
 * An outage of the issuer must not log every player out. When a refetch fails (no connection,
 * a 5xx, not a key set, no answer within JWKS_TIMEOUT_MS) the last keys fetched go on verifying
 * tokens, with a warning, and the next try waits JWKS_RETRY_AFTER_FAILURE_MS; a token can only be
 * refused as invalid against keys the verifier has. Without any keys yet, the failure is a 503
 * (the token may well be valid: retry later), never a 401.
 */
function remoteKeySet(url: URL, log: Logger): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, {
    cacheMaxAge: JWKS_MAX_AGE_SECONDS * 1000,
    timeoutDuration: JWKS_TIMEOUT_MS,
    [customFetch]: fetchKeySet,
  });
  let lastFailure: { at: number; keys: JWTVerifyGetKey } | undefined;

  return async (header, token) => {
    if (lastFailure && Date.now() - lastFailure.at < JWKS_RETRY_AFTER_FAILURE_MS) {
      return lastFailure.keys(header, token);
    }
    try {
      const key = await remote(header, token);
      lastFailure = undefined;
      return key;
    } catch (err) {
      const lastKeys = remote.jwks();
      if (!(err instanceof KeySetUnavailable) || lastKeys === undefined) throw err;
      // Requests that waited on the same failed refetch log it once.
      if (!lastFailure || Date.now() - lastFailure.at >= JWKS_RETRY_AFTER_FAILURE_MS) {
        log.warn(
          { err, jwksUrl: url.href, retryInMs: JWKS_RETRY_AFTER_FAILURE_MS },
          'key set refetch failed: verifying tokens with the last keys fetched',
        );
        lastFailure = { at: Date.now(), keys: createLocalJWKSet(lastKeys) };
      }
      return lastFailure.keys(header, token);
    }
  };
}

/**
 * jose's fetch of the key set, with every way it can fail as one error: no connection, no answer
 * in time, a status other than 200, a body that is not a key set.
 */
async function fetchKeySet(
  input: string,
  init: { headers: Headers; method: 'GET'; redirect: 'manual'; signal: AbortSignal },
): Promise<Response> {
  const unavailable = (detail: string, cause?: unknown) =>
    new KeySetUnavailable(`The key set at ${input} ${detail}`, { cause });
  let text: string;
  try {
    const response = await fetch(input, init);
    text = await response.text();
    if (response.status !== 200) throw unavailable(`answered ${response.status}`);
  } catch (err) {
    if (err instanceof KeySetUnavailable) throw err;
    throw unavailable(init.signal.aborted ? 'did not answer in time' : 'cannot be reached', err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw unavailable('is not JSON', err);
  }
  if (!isKeySet(json)) throw unavailable('is not a JSON Web Key Set');
  return Response.json(json);
}

function isKeySet(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || !('keys' in value)) return false;
  const { keys } = value;
  return Array.isArray(keys) && keys.every((key) => typeof key === 'object' && key !== null);
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
  if (
    err instanceof KeySetUnavailable ||
    err instanceof joseErrors.JWKSTimeout ||
    isDependencyDown(err)
  ) {
    return problems.unavailable('The token issuer could not be reached.');
  }
  return problems.unauthorized('The token is invalid.');
}

function assertEd25519PrivateKey(jwk: JWK): void {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.d || !jwk.x) {
    throw new Error('The signing key must be a private Ed25519 JWK (kty "OKP", crv "Ed25519").');
  }
}
