import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ContractResponse } from '../client.ts';
import { type Harness, mentionsField, oversizeJson, randomUsername } from '../harness.ts';
import { decodeJwt, foreignSignedToken, tamperedToken, unsignedToken } from '../jwt.ts';

// Enough wrong passwords to reach the wait even when a load balancer spreads them over a few
// instances that count apart, and few enough to stay far below the per-address allowance
// (openapi.yaml), so the rest of the suite, sent from the same address, is never throttled.
const MAX_GUESSES = 20;

/** Sends wrong passwords for one username until the stage answers 429. */
async function guessUntilThrottled(
  h: Harness,
  username: string,
): Promise<{ statuses: number[]; throttled: ContractResponse<'createSession'> }> {
  const statuses: number[] = [];
  for (let i = 0; i < MAX_GUESSES; i++) {
    const response = await h.send('createSession', {
      json: { username, password: 'not the password' },
    });
    if (response.status === 429) return { statuses, throttled: response };
    statuses.push(response.status);
  }
  throw new Error(`no 429 after ${MAX_GUESSES} wrong passwords for ${username}: ${statuses}`);
}

/** Registration, log in and the bearer token. */
export function describeUsers(h: Harness): void {
  describe('users and sessions', () => {
    it('POST /api/users registers a user: 201 {id, username}', async () => {
      const username = randomUsername();

      const user = h.expectStatus(
        await h.send('createUser', { json: { username, password: 'long enough' } }),
        201,
      );

      expect(user.username).toBe(username);
    });

    it('ignores extra fields in a request body', async () => {
      const username = randomUsername();

      const user = h.expectStatus(
        await h.send('createUser', { json: { username, password: 'long enough', role: 'admin' } }),
        201,
      );

      // additionalProperties: false on User makes send() fail if `role` leaked into the answer.
      expect(user.username).toBe(username);
    });

    it('refuses a taken username: 409 /problems/username-taken', async () => {
      const player = await h.newPlayer();

      const response = await h.send('createUser', {
        json: { username: player.username, password: 'another password' },
      });

      h.expectProblem(response, 409, '/problems/username-taken');
    });

    it.each([
      ['a too short username', { username: 'ab', password: 'long enough' }, 'username'],
      ['a too long username', { username: 'a'.repeat(33), password: 'long enough' }, 'username'],
      ['a username with a space', { username: 'has space', password: 'long enough' }, 'username'],
      ['a username with a dash', { username: 'has-dash', password: 'long enough' }, 'username'],
      ['a numeric username', { username: 12345, password: 'long enough' }, 'username'],
      ['a missing username', { password: 'long enough' }, 'username'],
      ['a 7-character password', { username: 'valid_name', password: '1234567' }, 'password'],
      [
        'a 129-character password',
        { username: 'valid_name', password: 'p'.repeat(129) },
        'password',
      ],
      ['a missing password', { username: 'valid_name' }, 'password'],
      ['a null password', { username: 'valid_name', password: null }, 'password'],
    ])('rejects %s: 422 /problems/validation naming the field', async (_case, json, field) => {
      const response = await h.send('createUser', { json });

      const problem = h.expectProblem(response, 422, '/problems/validation');
      expect(mentionsField(problem, field), JSON.stringify(problem.errors)).toBe(true);
    });

    it.each([
      ['createUser', 'nul\u0000name', 'username'],
      ['createUser', 'long\u0000enough', 'password'],
      ['createUser', 'long enough\ud800', 'password'],
      ['createSession', 'nul\u0000name', 'username'],
      ['createSession', '\udc00long enough', 'password'],
    ] as const)(
      '%s refuses %j as the %s, text a database cannot store: 422 naming the field',
      async (operation, text, field) => {
        const json = { username: 'valid_name', password: 'long enough', [field]: text };

        const response = await h.send(operation, { json });

        const problem = h.expectProblem(response, 422, '/problems/validation');
        expect(mentionsField(problem, field), JSON.stringify(problem.errors)).toBe(true);
      },
    );

    it('accepts a password of emoji and other astral characters, and logs in with it', async () => {
      const username = randomUsername();
      const password = '🎰🍒🤖 𝄞 jackpot';
      h.expectStatus(await h.send('createUser', { json: { username, password } }), 201);

      const session = await h.send('createSession', { json: { username, password } });
      const almost = await h.send('createSession', {
        json: { username, password: password.replace('🤖', '🍒') },
      });

      expect(h.expectStatus(session, 200).user.username).toBe(username);
      h.expectProblem(almost, 401, '/problems/invalid-credentials');
    });

    it('rejects malformed JSON: 400', async () => {
      const response = await h.send('createUser', { body: '{"username": "broken",' });

      h.expectProblem(response, 400, 'about:blank');
    });

    it.each([
      ['text/plain', '{"username":"plain_text","password":"long enough"}'],
      ['application/x-www-form-urlencoded', 'username=form_user&password=long+enough'],
    ])('rejects a %s body: 415', async (contentType, body) => {
      const response = await h.send('createUser', { body, contentType });

      h.expectProblem(response, 415, 'about:blank');
    });

    it('rejects a body over 32 KiB: 413', async () => {
      const body = oversizeJson({ username: randomUsername(), password: 'long enough' });

      const response = await h.send('createUser', { body });

      h.expectProblem(response, 413, 'about:blank');
    });

    it('POST /api/sessions logs in: 200 with an EdDSA token for the user, valid for an hour', async () => {
      const username = randomUsername();
      const password = 'long enough';
      const user = h.expectStatus(
        await h.send('createUser', { json: { username, password } }),
        201,
      );

      const session = h.expectStatus(
        await h.send('createSession', { json: { username, password } }),
        200,
      );

      expect(session.user).toEqual(user);
      const { header, payload } = decodeJwt(session.token);
      expect(header.alg).toBe('EdDSA');
      expect(payload).toMatchObject({ sub: user.id, username });
      expect([payload.aud].flat()).toContain('course-api');
      expect(typeof payload.iss).toBe('string');
      const secondsLeft = Number(payload.exp) - Date.now() / 1000;
      expect(secondsLeft).toBeGreaterThan(3600 - 120);
      expect(secondsLeft).toBeLessThanOrEqual(3600 + 120);
    });

    it('refuses a wrong password and an unknown user alike: 401 /problems/invalid-credentials', async () => {
      const player = await h.newPlayer();

      const wrongPassword = await h.send('createSession', {
        json: { username: player.username, password: `${player.password}x` },
      });
      const unknownUser = await h.send('createSession', {
        json: { username: randomUsername(), password: player.password },
      });

      h.expectProblem(wrongPassword, 401, '/problems/invalid-credentials');
      h.expectProblem(unknownUser, 401, '/problems/invalid-credentials');
    });

    it.each([
      ['a registered username', true],
      ['an unknown username', false],
    ])(
      'throttles wrong passwords for %s alike: 401 at least five times, then 429 /problems/too-many-failed-logins with Retry-After',
      async (_case, registered) => {
        const username = registered ? (await h.newPlayer()).username : randomUsername();

        const { statuses, throttled } = await guessUntilThrottled(h, username);

        expect(statuses.length).toBeGreaterThanOrEqual(5);
        expect(new Set(statuses)).toEqual(new Set([401]));
        h.expectProblem(throttled, 429, '/problems/too-many-failed-logins');
        expect(throttled.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(Number(throttled.headers.get('retry-after'))).toBeLessThanOrEqual(300);
      },
    );

    it('lets the right password in once Retry-After has passed, and throttles no other player meanwhile', async () => {
      const player = await h.newPlayer();
      let { throttled: response } = await guessUntilThrottled(h, player.username);

      const otherPlayer = await h.newPlayer();
      // Behind a load balancer another instance may still be counting its own wait: honour
      // each Retry-After, a few times at most.
      for (let i = 0; i < 5 && response.status === 429; i++) {
        await sleep(Number(response.headers.get('retry-after')) * 1000);
        response = await h.send('createSession', {
          json: { username: player.username, password: player.password },
        });
      }

      expect(otherPlayer.token).toBeTruthy();
      h.expectStatus(response, 200);
    });

    it.each([
      ['a missing password', { username: 'someone' }],
      ['a numeric username', { username: 42, password: 'long enough' }],
      ['an empty object', {}],
    ])('rejects a log in with %s: 422', async (_case, json) => {
      const response = await h.send('createSession', { json });

      h.expectProblem(response, 422, '/problems/validation');
    });

    it('rejects a malformed log in body: 400, 415 and 413', async () => {
      const malformed = await h.send('createSession', { body: '{"username":' });
      const wrongType = await h.send('createSession', {
        body: 'username=x',
        contentType: 'text/plain',
      });
      const oversize = await h.send('createSession', { body: oversizeJson({ username: 'x' }) });

      h.expectProblem(malformed, 400, 'about:blank');
      h.expectProblem(wrongType, 415, 'about:blank');
      h.expectProblem(oversize, 413, 'about:blank');
    });

    it('GET /api/me returns the token owner', async () => {
      const player = await h.newPlayer();

      const me = h.expectStatus(await h.send('getMe', { token: player.token }), 200);

      expect(me).toEqual({ id: player.id, username: player.username });
    });

    it('GET /api/me without a token: 401 with WWW-Authenticate: Bearer', async () => {
      const response = await h.send('getMe');

      h.expectProblem(response, 401, 'about:blank');
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });

    it('refuses every forged or broken token: 401', async () => {
      const player = await h.newPlayer();
      const claims = decodeJwt(player.token).payload;
      const forged = {
        'no signature (alg none)': `Bearer ${unsignedToken(claims)}`,
        'signed with a foreign key': `Bearer ${foreignSignedToken(claims)}`,
        'payload changed after signing': `Bearer ${tamperedToken(player.token, { username: 'admin' })}`,
        'not a JWT': 'Bearer not-a-jwt',
        'empty bearer': 'Bearer ',
        'another scheme': `Basic ${Buffer.from(`${player.username}:${player.password}`).toString('base64')}`,
      };

      for (const [name, authorization] of Object.entries(forged)) {
        const response = await h.send('getMe', { headers: { authorization } });

        expect(response.status, name).toBe(401);
        expect(response.headers.get('www-authenticate'), name).toMatch(/^Bearer/);
      }
    });
  });
}
