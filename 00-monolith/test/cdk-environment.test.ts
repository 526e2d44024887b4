import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTokenIssuer } from '@course/service-kit';
import { describe, expect, it } from 'vitest';
import {
  databaseUrlFrom,
  environmentFileFrom,
  environmentLine,
  signingJwkFrom,
} from '../cdk/runtime/environment.ts';
import { loadConfig } from '../src/config.ts';

const rdsSecret = {
  username: 'monolith',
  password: 'p=ss w0rd%with:odd/chars',
  host: 'db.abc.us-east-1.rds.amazonaws.com',
  port: 5432,
  dbname: 'monolith',
};

describe('the boot-time environment of an EC2 instance', () => {
  it('builds a TLS-verifying DATABASE_URL that survives odd password characters', () => {
    const url = new URL(databaseUrlFrom(rdsSecret, '/opt/app/rds-ca.pem'));

    expect(decodeURIComponent(url.password)).toBe(rdsSecret.password);
    expect(url.hostname).toBe(rdsSecret.host);
    expect(url.pathname).toBe('/monolith');
    expect(url.searchParams.get('sslmode')).toBe('verify-full');
    expect(url.searchParams.get('sslrootcert')).toBe('/opt/app/rds-ca.pem');
  });

  it('derives the same Ed25519 signing key from the same seed on every instance', () => {
    const first = JSON.parse(signingJwkFrom('seed-from-secrets-manager'));
    const again = JSON.parse(signingJwkFrom('seed-from-secrets-manager'));
    const other = JSON.parse(signingJwkFrom('another-seed'));

    expect(first).toEqual(again);
    expect(first).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect(other.d).not.toBe(first.d);
  });

  it('writes an environment file the app accepts and can sign tokens with', async () => {
    const secretsDir = mkdtempSync(join(tmpdir(), 'secrets-'));
    writeFileSync(join(secretsDir, 'database.json'), JSON.stringify(rdsSecret));
    writeFileSync(join(secretsDir, 'jwt-seed.json'), 'seed-from-secrets-manager\n');

    const file = environmentFileFrom(secretsDir, '/opt/app/rds-ca.pem');
    rmSync(secretsDir, { recursive: true });

    const env = Object.fromEntries(
      file
        .trim()
        .split('\n')
        .map((line) => /^(\w+)='(.*)'$/.exec(line)?.slice(1) ?? []),
    );
    const config = loadConfig(env);
    const issuer = await createTokenIssuer({ privateJwk: config.JWT_PRIVATE_JWK, issuer: 'test' });
    expect(Object.keys(env)).toEqual(['DATABASE_URL', 'JWT_PRIVATE_JWK']);
    expect(issuer.jwks().keys[0]?.kid).toBe(
      JSON.parse(signingJwkFrom('seed-from-secrets-manager')).kid,
    );
  });

  it('refuses a value systemd would misread', () => {
    expect(() => environmentLine('X', "it's")).toThrow(/environment file/);
    expect(environmentLine('X', '{"a":1}')).toBe(`X='{"a":1}'`);
  });
});
