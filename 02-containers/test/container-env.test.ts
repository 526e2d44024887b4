import { createHash } from 'node:crypto';
import {
  ConfigError,
  createTokenIssuer,
  ed25519SigningJwk,
  signingJwkFromSeed,
} from '@course/service-kit';
import { describe, expect, it } from 'vitest';
import { containerEnvironment } from '../src/container-env.ts';
import { loadConfig as loadUsersConfig } from '../src/users/config.ts';

const rdsSecret = {
  username: 'users',
  password: "p=ss w0rd%with:odd/chars@#?&'",
  host: 'db.abc.us-east-1.rds.amazonaws.com',
  port: 5432,
  dbname: 'users',
  engine: 'postgres',
};
const CA_FILE = '/etc/ssl/certs/rds-global-bundle.pem';

/** The error `containerEnvironment` throws for `env`, or undefined. */
function errorFor(env: NodeJS.ProcessEnv): unknown {
  try {
    containerEnvironment(env);
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('containerEnvironment', () => {
  it("turns the service's database secret into a DATABASE_URL that verifies the server", () => {
    const env = containerEnvironment({
      DATABASE_SECRET: JSON.stringify(rdsSecret),
      DATABASE_CA_FILE: CA_FILE,
    });

    const url = new URL(env.DATABASE_URL ?? '');
    expect(decodeURIComponent(url.username)).toBe('users');
    expect(decodeURIComponent(url.password)).toBe(rdsSecret.password);
    expect(url.host).toBe(`${rdsSecret.host}:5432`);
    expect(url.pathname).toBe('/users');
    expect(url.searchParams.get('sslmode')).toBe('verify-full');
    expect(url.searchParams.get('sslrootcert')).toBe(CA_FILE);
  });

  it("gives the database provisioning the administrator's URL and every service's", () => {
    const master = { ...rdsSecret, username: 'postgres', dbname: 'app' };
    const forum = { ...rdsSecret, username: 'forum', dbname: 'forum' };

    const env = containerEnvironment({
      DATABASE_ADMIN_SECRET: JSON.stringify(master),
      USERS_DATABASE_SECRET: JSON.stringify(rdsSecret),
      FORUM_DATABASE_SECRET: JSON.stringify(forum),
      SLOTS_DATABASE_URL: 'postgresql://slots:pw@127.0.0.1:5432/slots',
      DATABASE_CA_FILE: CA_FILE,
    });

    const url = new URL(env.DATABASE_ADMIN_URL ?? '');
    expect(url.username).toBe('postgres');
    expect(url.pathname).toBe('/app');
    expect(url.searchParams.get('sslrootcert')).toBe(CA_FILE);
    expect(decodeURIComponent(new URL(env.USERS_DATABASE_URL ?? '').password)).toBe(
      rdsSecret.password,
    );
    expect(new URL(env.FORUM_DATABASE_URL ?? '').pathname).toBe('/forum');
    expect(env.SLOTS_DATABASE_URL).toBe('postgresql://slots:pw@127.0.0.1:5432/slots');
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('still requires verified TLS when no CA file is given', () => {
    const env = containerEnvironment({ DATABASE_SECRET: JSON.stringify(rdsSecret) });

    const url = new URL(env.DATABASE_URL ?? '');
    expect(url.searchParams.get('sslmode')).toBe('verify-full');
    expect(url.searchParams.has('sslrootcert')).toBe(false);
  });

  it('accepts a port written as text, as in a hand-made secret', () => {
    const env = containerEnvironment({
      DATABASE_SECRET: JSON.stringify({ ...rdsSecret, port: '6432' }),
    });

    expect(new URL(env.DATABASE_URL ?? '').port).toBe('6432');
  });

  it("derives the users service's signing key from the seed exactly as stage 00 does on EC2", async () => {
    const env = containerEnvironment({ JWT_SIGNING_SEED: 'seed-from-secrets-manager' });

    const config = loadUsersConfig({ ...env, DATABASE_URL: 'postgresql://u:p@db/users' });
    const issuer = await createTokenIssuer({ privateJwk: config.JWT_PRIVATE_JWK, issuer: 'users' });
    // Stage 00's EC2 boot script: the seed's SHA-256 is the Ed25519 seed.
    const stage00Key = ed25519SigningJwk(
      createHash('sha256').update('seed-from-secrets-manager', 'utf8').digest(),
    );
    expect(JSON.parse(env.JWT_PRIVATE_JWK ?? '')).toEqual(stage00Key);
    expect(issuer.jwks().keys[0]?.kid).toBe(stage00Key.kid);
  });

  it('gives the service a config it accepts', () => {
    const env = containerEnvironment({
      DATABASE_SECRET: JSON.stringify(rdsSecret),
      DATABASE_CA_FILE: CA_FILE,
      JWT_SIGNING_SEED: 'seed-from-secrets-manager',
    });

    const config = loadUsersConfig(env);

    expect(config.DATABASE_URL).toBe(env.DATABASE_URL);
    expect(config.JWT_PRIVATE_JWK).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
  });

  it('lets an explicit DATABASE_URL and JWT_PRIVATE_JWK win over the secrets', () => {
    const explicit = {
      DATABASE_URL: 'postgresql://postgres:postgres@db:5432/users',
      JWT_PRIVATE_JWK: JSON.stringify(signingJwkFromSeed('local')),
    };

    const env = containerEnvironment({
      ...explicit,
      DATABASE_SECRET: JSON.stringify(rdsSecret),
      JWT_SIGNING_SEED: 'seed-from-secrets-manager',
    });

    expect(env.DATABASE_URL).toBe(explicit.DATABASE_URL);
    expect(env.JWT_PRIVATE_JWK).toBe(explicit.JWT_PRIVATE_JWK);
  });

  it('leaves an environment without secrets as it is', () => {
    const local = {
      DATABASE_URL: 'postgresql://postgres:postgres@127.0.0.1:5433/users',
      PORT: '0',
    };

    expect(containerEnvironment(local)).toEqual(local);
  });

  it('reports a secret that is not JSON as a ConfigError naming the variable, not the text', () => {
    const error = errorFor({ DATABASE_SECRET: '{"username":"users","password":"hunter2"' });

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      'DATABASE_SECRET: expected the JSON of a database secret {username, password, host, port, dbname}',
    ]);
    expect((error as ConfigError).message).not.toContain('hunter2');
  });

  it('lists every missing field of every malformed secret at once', () => {
    const { password: _password, ...withoutPassword } = rdsSecret;

    const error = errorFor({
      DATABASE_SECRET: JSON.stringify(withoutPassword),
      DATABASE_ADMIN_SECRET: JSON.stringify({ ...rdsSecret, host: 42 }),
    });

    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatch(/^DATABASE_SECRET\.password: /);
    expect(issues[1]).toMatch(/^DATABASE_ADMIN_SECRET\.host: /);
  });
});
