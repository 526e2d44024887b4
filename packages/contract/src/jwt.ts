import { createPublicKey, generateKeyPairSync, type JsonWebKey, sign, verify } from 'node:crypto';

// Just enough JOSE to check the API's tokens from the outside, and to forge the bad ones
// a server must refuse. A service itself would use a library (the course uses `jose`).

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

export function decodeJwt(token: string): DecodedJwt {
  const [header, payload, signature] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined) {
    throw new Error('not a compact JWS');
  }
  return {
    header: decodeSegment(header),
    payload: decodeSegment(payload),
    signingInput: `${header}.${payload}`,
    signature: Buffer.from(signature, 'base64url'),
  };
}

/** True when one of the key set's Ed25519 keys (the one named by `kid`, if any) signed the token. */
export function verifiedByKeySet(token: string, keySet: { keys: JsonWebKey[] }): boolean {
  const { header, signingInput, signature } = decodeJwt(token);
  const candidates = keySet.keys.filter(
    (key) => header.kid === undefined || key.kid === header.kid,
  );
  return candidates.some((jwk) =>
    verify(
      null,
      Buffer.from(signingInput),
      createPublicKey({ key: jwk, format: 'jwk' }),
      signature,
    ),
  );
}

/** `alg: none` — a token with no signature at all. */
export function unsignedToken(payload: Record<string, unknown>): string {
  return `${encodeSegment({ alg: 'none', typ: 'JWT' })}.${encodeSegment(payload)}.`;
}

/** Correct shape and claims, but signed with a key the server has never seen. */
export function foreignSignedToken(payload: Record<string, unknown>): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const signingInput = `${encodeSegment({ alg: 'EdDSA', typ: 'JWT' })}.${encodeSegment(payload)}`;
  return `${signingInput}.${sign(null, Buffer.from(signingInput), privateKey).toString('base64url')}`;
}

/** The original header and signature around a changed payload. */
export function tamperedToken(token: string, changes: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  const { payload } = decodeJwt(token);
  return `${header}.${encodeSegment({ ...payload, ...changes })}.${signature}`;
}

function decodeSegment(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function encodeSegment(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
