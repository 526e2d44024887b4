import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type AuthUser,
  bearerToken,
  createLogger,
  createTokenIssuer,
  createTokenVerifier,
  currentUser,
  ed25519SigningJwk,
  generateSigningKey,
  HttpError,
  hashPassword,
  type JWK,
  JWKS_MAX_AGE_SECONDS,
  JWKS_RETRY_AFTER_FAILURE_MS,
  JWKS_TIMEOUT_MS,
  jwksRoute,
  type ProblemDocument,
  requireAuth,
  type TokenIssuer,
  type TokenVerifier,
  verifyPassword,
} from '../src/index.ts';
import { closedPort } from './closed-port.ts';
import { memoryDestination, PROBLEM_JSON, startApp, type TestApp } from './helpers.ts';

const ISSUER = 'users@00';
const ADA: AuthUser = { id: '0b9b4a0e-6f8e-4d8a-9d6c-2f1f6b1f7a11', username: 'ada' };

/** A service with one protected route that answers with the token's user. */
function startProtectedApp(verifier: TokenVerifier): Promise<TestApp> {
  return startApp((app) => {
    app.get('/api/me', requireAuth(verifier), (_req, res) => {
      res.json(currentUser(res));
    });
  });
}

function getMe(server: TestApp, authorization?: string) {
  return fetch(`${server.url}/api/me`, {
    headers: authorization ? { Authorization: authorization } : {},
  });
}

describe('JWT with a local key set', () => {
  let signingKey: JWK;
  let issuer: TokenIssuer;
  let server: TestApp;

  beforeAll(async () => {
    signingKey = await generateSigningKey();
    issuer = await createTokenIssuer({ privateJwk: signingKey, issuer: ISSUER });
    server = await startProtectedApp(createTokenVerifier({ jwks: issuer.jwks(), issuer: ISSUER }));
  });
  afterAll(() => server.close());

  async function expectUnauthorized(res: Response) {
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.headers.get('content-type')).toMatch(PROBLEM_JSON);
    expect(await res.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
  }

  it('lets a request with a freshly issued token through as its user', async () => {
    const token = await issuer.issue(ADA);

    const res = await getMe(server, `Bearer ${token}`);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(ADA);
  });

  it('issues EdDSA tokens for the course-api audience that expire in an hour', async () => {
    const token = await issuer.issue(ADA);

    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));

    expect(header).toMatchObject({ alg: 'EdDSA', kid: issuer.jwks().keys[0]?.kid });
    expect(payload).toMatchObject({ sub: ADA.id, username: 'ada', iss: ISSUER, aud: 'course-api' });
    expect(payload.exp - payload.iat).toBe(3600);
  });

  it('publishes only the public key', () => {
    const [key, ...others] = issuer.jwks().keys;

    expect(others).toEqual([]);
    expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(key).not.toHaveProperty('d');
  });

  it('rejects a request without a token', async () => {
    await expectUnauthorized(await getMe(server));
  });

  it('rejects an Authorization header of another scheme', async () => {
    await expectUnauthorized(await getMe(server, 'Basic YWRhOnNlY3JldA=='));
  });

  it('rejects an expired token', async () => {
    const expiring = await createTokenIssuer({
      privateJwk: signingKey,
      issuer: ISSUER,
      ttlSeconds: -60,
    });

    const res = await getMe(server, `Bearer ${await expiring.issue(ADA)}`);

    await expectUnauthorized(res.clone());
    expect(((await res.json()) as ProblemDocument).detail).toMatch(/expired/);
  });

  it('rejects a token from another issuer', async () => {
    const other = await createTokenIssuer({
      privateJwk: signingKey,
      issuer: 'someone-else',
    });

    await expectUnauthorized(await getMe(server, `Bearer ${await other.issue(ADA)}`));
  });

  it('rejects a token for another audience', async () => {
    const other = await createTokenIssuer({
      privateJwk: signingKey,
      issuer: ISSUER,
      audience: 'admin-api',
    });

    await expectUnauthorized(await getMe(server, `Bearer ${await other.issue(ADA)}`));
  });

  it('rejects a tampered token', async () => {
    const [header, payload, signature] = (await issuer.issue(ADA)).split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, username: 'admin' })).toString(
      'base64url',
    );

    await expectUnauthorized(await getMe(server, `Bearer ${header}.${forged}.${signature}`));
  });

  it('rejects a token signed with another key', async () => {
    const impostor = await createTokenIssuer({ issuer: ISSUER });

    await expectUnauthorized(await getMe(server, `Bearer ${await impostor.issue(ADA)}`));
  });

  it('rejects garbage', async () => {
    await expectUnauthorized(await getMe(server, 'Bearer not.a.jwt'));
  });
});

describe('JWT with a remote key set', () => {
  let issuer: TokenIssuer;
  let usersService: TestApp;
  let slotsService: TestApp;

  beforeAll(async () => {
    issuer = await createTokenIssuer({ privateJwk: await generateSigningKey(), issuer: ISSUER });
    usersService = await startApp((app) => app.use(jwksRoute(issuer)));
    const jwksUrl = new URL('/.well-known/jwks.json', usersService.url);
    slotsService = await startProtectedApp(
      createTokenVerifier({ jwks: jwksUrl, issuer: ISSUER, log: createLogger({ service: 't' }) }),
    );
  });
  afterAll(async () => {
    await slotsService.close();
    await usersService.close();
  });

  it('serves the public keys at /.well-known/jwks.json', async () => {
    const res = await fetch(`${usersService.url}/.well-known/jwks.json`);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(issuer.jwks());
  });

  it("verifies the issuer's tokens in another service with the fetched keys", async () => {
    const token = await issuer.issue(ADA);

    const res = await getMe(slotsService, `Bearer ${token}`);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(ADA);
  });

  it('still rejects tokens signed with a key the issuer does not publish', async () => {
    const impostor = await createTokenIssuer({ issuer: ISSUER });

    const res = await getMe(slotsService, `Bearer ${await impostor.issue(ADA)}`);

    expect(res.status).toBe(401);
  });

  it('answers 503, not 401, when the key set cannot be fetched', async () => {
    const unreachable = new URL(`http://127.0.0.1:${await closedPort()}/.well-known/jwks.json`);
    const verifier = createTokenVerifier({
      jwks: unreachable,
      issuer: ISSUER,
      log: createLogger({ service: 't' }),
    });

    const error = await verifier.verify(await issuer.issue(ADA)).catch((err: unknown) => err);

    expect(error).toMatchObject({ status: 503 });
  });
});

/**
 * A users service whose JWKS endpoint the test breaks at will: it answers the key set, a status,
 * text that is not JSON, or nothing at all.
 */
type JwksBehaviour = 'keys' | 503 | 500 | 'not json' | 'hang';

async function startFlakyJwks(issuer: TokenIssuer) {
  let behaviour: JwksBehaviour = 'keys';
  let requests = 0;
  const server: Server = createServer((_req, res) => {
    requests++;
    if (behaviour === 'hang') return;
    if (behaviour === 'keys') res.writeHead(200, { 'content-type': 'application/json' });
    else if (behaviour === 'not json') res.writeHead(200, { 'content-type': 'application/json' });
    else res.writeHead(behaviour, { 'content-type': 'application/json' });
    res.end(behaviour === 'keys' ? JSON.stringify(issuer.jwks()) : '<html>oops</html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`),
    set: (next: JwksBehaviour) => {
      behaviour = next;
    },
    get requests() {
      return requests;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('JWT with a remote key set, when the issuer is down', () => {
  let issuer: TokenIssuer;
  let jwks: Awaited<ReturnType<typeof startFlakyJwks>>;
  let logs: ReturnType<typeof memoryDestination>;
  let verifier: TokenVerifier;

  beforeEach(async () => {
    issuer = await createTokenIssuer({ issuer: ISSUER });
    jwks = await startFlakyJwks(issuer);
    logs = memoryDestination();
    verifier = createTokenVerifier({
      jwks: jwks.url,
      issuer: ISSUER,
      log: createLogger({ service: 't', destination: logs }),
    });
    // Only Date: jose's cache age and the retry pause read it; timers and sockets stay real.
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await jwks.close();
  });

  const pastCacheAge = () => vi.advanceTimersByTime(JWKS_MAX_AGE_SECONDS * 1000 + 1);

  it.each([503, 500, 'not json', 'hang'] as const)(
    'keeps verifying with the last keys when a refetch meets %s',
    async (failure) => {
      // Arrange: the keys fetched once, then the issuer fails past the cache's age.
      const token = await issuer.issue(ADA);
      await verifier.verify(token);
      jwks.set(failure);
      pastCacheAge();

      // Act
      const user = await verifier.verify(token);

      // Assert: still the player, with one warning that names the failure.
      expect(user).toEqual(ADA);
      const warnings = logs.lines.filter((line) => line.level === 'warn');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.msg).toMatch(/refetch failed/);
    },
    10_000,
  );

  it('still refuses a token the last keys do not verify', async () => {
    await verifier.verify(await issuer.issue(ADA));
    jwks.set(503);
    pastCacheAge();
    const impostor = await createTokenIssuer({ issuer: ISSUER });

    const error = await verifier.verify(await impostor.issue(ADA)).catch((err: unknown) => err);

    expect(error).toMatchObject({ status: 401 });
  });

  it('does not refetch on every request while the issuer is down, and recovers after', async () => {
    const token = await issuer.issue(ADA);
    await verifier.verify(token);
    jwks.set(503);
    pastCacheAge();
    await verifier.verify(token);
    const afterFailure = jwks.requests;

    await verifier.verify(token);
    await verifier.verify(token);
    const duringPause = jwks.requests - afterFailure;
    jwks.set('keys');
    vi.advanceTimersByTime(JWKS_RETRY_AFTER_FAILURE_MS);
    await verifier.verify(token);

    expect(duringPause).toBe(0);
    expect(jwks.requests).toBe(afterFailure + 1);
  });

  it.each([503, 500, 'not json'] as const)(
    'answers 503, not 401, when no keys were ever fetched and the issuer answers %s',
    async (failure) => {
      jwks.set(failure);

      const error = await verifier.verify(await issuer.issue(ADA)).catch((err: unknown) => err);

      expect(error).toMatchObject({ status: 503 });
    },
  );

  it('gives up on a hanging issuer after JWKS_TIMEOUT_MS with a 503', async () => {
    jwks.set('hang');
    const started = performance.now();

    const error = await verifier.verify(await issuer.issue(ADA)).catch((err: unknown) => err);

    expect(error).toMatchObject({ status: 503 });
    expect(performance.now() - started).toBeLessThan(JWKS_TIMEOUT_MS + 2_000);
  }, 10_000);
});

describe('password hashing', () => {
  it('verifies the password it hashed', async () => {
    const stored = await hashPassword('correct horse battery staple');

    expect(stored).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[\w-]+\$[\w-]+$/);
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
  });

  it('rejects a wrong password', async () => {
    const stored = await hashPassword('correct horse battery staple');

    expect(await verifyPassword('correct horse battery stapler', stored)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same password')).not.toBe(await hashPassword('same password'));
  });

  it('rejects against a stored value that is not a scrypt hash', async () => {
    expect(await verifyPassword('anything', 'plaintext-password')).toBe(false);
  });

  it('a burst of hashes leaves the thread pool free for a database handshake', {
    timeout: 30_000,
  }, async () => {
    // Arrange: a burst of registrations, three times as many hashes as libuv has threads.
    const burst = 12;
    let hashesDone = 0;
    const hashes = Array.from({ length: burst }, () =>
      hashPassword('correct horse battery staple').then(() => hashesDone++),
    );

    // Act: the key derivation of a SCRAM-SHA-256 handshake, as the `pg` driver runs it on
    // connecting to PostgreSQL (WebCrypto, on the same libuv thread pool as scrypt).
    const password = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode('postgres'),
      'PBKDF2',
      false,
      ['deriveBits'],
    );
    await crypto.subtle.deriveBits(
      { name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(16), iterations: 4096 },
      password,
      256,
    );
    const hashesDoneBeforeHandshake = hashesDone;
    await Promise.all(hashes);

    // Assert: the handshake did not queue behind the burst (it would finish after all but the
    // last few hashes if every hash took a thread).
    expect(hashesDoneBeforeHandshake).toBeLessThan(burst / 4);
  });
});

describe('ed25519SigningJwk', () => {
  it('derives the same key from the same seed, and a key that signs and verifies', async () => {
    const seed = new Uint8Array(32).fill(7);

    const first = ed25519SigningJwk(seed);
    const second = ed25519SigningJwk(seed);
    const issuer = await createTokenIssuer({ privateJwk: first, issuer: ISSUER });
    const verifier = createTokenVerifier({ jwks: issuer.jwks(), issuer: ISSUER });

    expect(second).toEqual(first);
    expect(ed25519SigningJwk().x).not.toBe(first.x);
    expect(await verifier.verify(await issuer.issue({ id: 'u1', username: 'ann' }))).toEqual({
      id: 'u1',
      username: 'ann',
    });
  });

  it('refuses a seed that is not 32 bytes', () => {
    expect(() => ed25519SigningJwk(new Uint8Array(31))).toThrow(/32 bytes/);
  });
});

describe('bearerToken: the rule requireAuth applies, as a plain function', () => {
  it.each([
    ['Bearer abc.def-ghi_jkl', 'abc.def-ghi_jkl'],
    ['bearer abc', 'abc'],
    ['Bearer   padded==', 'padded=='],
  ])('takes the token out of "%s"', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['another scheme', 'Basic YWRhOnNlY3JldA=='],
    ['a token with a space', 'Bearer abc def'],
    ['a token with characters no token has', 'Bearer abc<script>'],
    ['the scheme alone', 'Bearer '],
  ])('refuses %s with a 401 that asks for a bearer token', (_, header) => {
    let refusal: unknown;
    try {
      bearerToken(header);
    } catch (err) {
      refusal = err;
    }

    expect(refusal).toBeInstanceOf(HttpError);
    expect(refusal).toMatchObject({
      status: 401,
      detail: 'A bearer token is required.',
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  });
});
