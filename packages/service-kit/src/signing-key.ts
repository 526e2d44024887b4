import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** A private Ed25519 key as a JSON Web Key, ready to sign EdDSA JWTs. */
export interface Ed25519PrivateJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

// PKCS#8 DER header of an Ed25519 private key; the 32-byte seed follows it.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * A JWT signing key: a fresh random one, or — given a 32-byte seed — always the same one, so
 * several instances that share the seed (a secret) sign with one key. Its `kid` is the RFC 7638
 * thumbprint, derived from the public key itself.
 */
export function ed25519SigningJwk(seed?: Uint8Array): Ed25519PrivateJwk {
  const privateKey: KeyObject = seed
    ? createPrivateKey({
        key: Buffer.concat([ED25519_PKCS8_PREFIX, ed25519Seed(seed)]),
        format: 'der',
        type: 'pkcs8',
      })
    : generateKeyPairSync('ed25519').privateKey;
  const { x, d } = privateKey.export({ format: 'jwk' });
  if (x === undefined || d === undefined) throw new Error('Ed25519 key export failed');
  return { kty: 'OKP', crv: 'Ed25519', x, d, kid: thumbprint(x), alg: 'EdDSA', use: 'sig' };
}

function ed25519Seed(seed: Uint8Array): Uint8Array {
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  return seed;
}

function thumbprint(x: string): string {
  const canonical = JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x });
  return createHash('sha256').update(canonical).digest('base64url');
}
