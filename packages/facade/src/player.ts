import { decodeJwt } from 'jose';

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * The signed-in player a request belongs to: the `sub` claim of its bearer token, or undefined
 * for anonymous requests and tokens that are not JWTs.
 *
 * The token is decoded WITHOUT verifying its signature, on purpose. The facade only uses the
 * subject to choose which implementation serves the request; it grants nothing. Whichever
 * target gets the request verifies the signature itself and rejects a forged token with 401,
 * so a forged `sub` can only choose which implementation says no. Verifying here too would
 * cost a JWKS fetch and a signature check per request for no gain in safety.
 */
export function playerIdOf(authorization: string | undefined): string | undefined {
  const token = authorization?.match(BEARER)?.[1];
  if (token === undefined) return undefined;
  try {
    const { sub } = decodeJwt(token);
    return typeof sub === 'string' && sub.length > 0 ? sub : undefined;
  } catch {
    // Garbled: route it like an anonymous request; the target will answer 401.
    return undefined;
  }
}
