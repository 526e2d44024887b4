import { createHash } from 'node:crypto';
import { type Ed25519PrivateJwk, ed25519SigningJwk } from './signing-key.ts';

/**
 * The JWT signing key derived from a generated secret of any length (its SHA-256 is the Ed25519
 * seed): every instance or task that reads the same secret signs with the same key, so a token
 * issued by one is accepted by the others and survives a replacement. Used on EC2 (stage 00)
 * and in containers (stage 02) alike, so a seed means the same key everywhere.
 */
export function signingJwkFromSeed(seed: string): Ed25519PrivateJwk {
  return ed25519SigningJwk(createHash('sha256').update(seed, 'utf8').digest());
}
