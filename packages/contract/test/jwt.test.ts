import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeJwt,
  foreignSignedToken,
  tamperedToken,
  unsignedToken,
  verifiedByKeySet,
} from '../src/index.ts';

function issuer() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const keySet = { keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1' }] };
  const issue = (claims: Record<string, unknown>) => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${encode({ alg: 'EdDSA', kid: 'k1' })}.${encode(claims)}`;
    return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
  };
  return { keySet, issue };
}

describe('JWT helpers', () => {
  const { keySet, issue } = issuer();
  const claims = { sub: 'user-1', username: 'alice', aud: 'course-api' };
  const token = issue(claims);

  it('decodes header and payload', () => {
    expect(decodeJwt(token)).toMatchObject({
      header: { alg: 'EdDSA', kid: 'k1' },
      payload: claims,
    });
  });

  it('verifies a token signed by a key of the set', () => {
    expect(verifiedByKeySet(token, keySet)).toBe(true);
  });

  it('does not verify forged tokens', () => {
    expect(verifiedByKeySet(foreignSignedToken(claims), keySet)).toBe(false);
    expect(verifiedByKeySet(tamperedToken(token, { username: 'admin' }), keySet)).toBe(false);
    expect(verifiedByKeySet(unsignedToken(claims), keySet)).toBe(false);
  });

  it('keeps the claims of a tampered token apart from the change', () => {
    expect(decodeJwt(tamperedToken(token, { username: 'admin' })).payload).toEqual({
      ...claims,
      username: 'admin',
    });
  });
});
