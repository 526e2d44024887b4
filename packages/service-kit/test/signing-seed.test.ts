import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createTokenIssuer,
  createTokenVerifier,
  ed25519SigningJwk,
  signingJwkFromSeed,
} from '../src/index.ts';

describe('signingJwkFromSeed', () => {
  it('gives every holder of the same secret the same signing key', () => {
    const first = signingJwkFromSeed('seed-from-secrets-manager');
    const again = signingJwkFromSeed('seed-from-secrets-manager');
    const other = signingJwkFromSeed('another-seed');

    expect(again).toEqual(first);
    expect(other.d).not.toBe(first.d);
    expect(other.kid).not.toBe(first.kid);
  });

  it("uses the secret's SHA-256 as the Ed25519 seed", () => {
    const digest = createHash('sha256').update('seed-from-secrets-manager', 'utf8').digest();

    expect(signingJwkFromSeed('seed-from-secrets-manager')).toEqual(ed25519SigningJwk(digest));
  });

  it('signs tokens that a verifier holding only the public keys accepts', async () => {
    const issuer = await createTokenIssuer({
      privateJwk: signingJwkFromSeed('seed-from-secrets-manager'),
      issuer: 'users',
    });
    const verifier = createTokenVerifier({ jwks: issuer.jwks(), issuer: 'users' });

    const token = await issuer.issue({ id: 'u1', username: 'ann' });

    expect(await verifier.verify(token)).toEqual({ id: 'u1', username: 'ann' });
  });
});
