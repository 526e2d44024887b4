import stage02 from '@course/containers/stage';
import { startTestDatabase, type TestDatabase } from '@course/local';
import { createTokenIssuer, HttpError, type TokenIssuer } from '@course/service-kit/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SLOTS_ROUTES } from '../cdk/slots-routes.ts';
import { spinRequest } from '../src/lambda/event.ts';
import type { HttpHandler } from '../src/lambda/http.ts';
import type { RanksEvent, RanksResult } from '../src/slots/functions/ranks.ts';
import { type EventOptions, httpEvent, lambdaContext } from './events.ts';
import { serveJwks } from './jwks.ts';

/*
 * The three slots functions, imported as Lambda would load them (their environment read once, at
 * init), called with fixture events over a fresh slots database and a users JWKS served here.
 */

let database: TestDatabase;
let jwks: Awaited<ReturnType<typeof serveJwks>>;
let issuer: TokenIssuer;
let write: HttpHandler;
let read: HttpHandler;
let ranks: (event: RanksEvent) => Promise<RanksResult>;

beforeAll(async () => {
  const slots = stage02.databases.find((candidate) => candidate.name === 'slots');
  if (!slots) throw new Error('stage 02 has no slots database');
  database = await startTestDatabase({ ...slots, name: 'slots_handlers_test' });
  issuer = await createTokenIssuer({ issuer: 'users' });
  jwks = await serveJwks(issuer);
  vi.stubEnv('DATABASE_URL', database.url);
  vi.stubEnv('JWKS_URL', jwks.url);
  vi.stubEnv('STAGE', '03');
  vi.stubEnv('LOG_LEVEL', 'silent');
  write = (await import('../src/slots/functions/write.ts')).handler;
  read = (await import('../src/slots/functions/read.ts')).handler;
  const ranksHandler = (await import('../src/slots/functions/ranks.ts')).handler;
  ranks = async (event) => (await ranksHandler(event, lambdaContext(), () => {})) as RanksResult;
}, 120_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await jwks?.close();
  await database?.stop();
});

async function player() {
  const user = { id: crypto.randomUUID(), username: `p${crypto.randomUUID().slice(0, 8)}` };
  return { ...user, token: await issuer.issue(user) };
}

function call(handler: HttpHandler, event: EventOptions) {
  return handler(httpEvent(event), lambdaContext());
}

function bodyOf(answer: APIGatewayProxyStructuredResultV2) {
  return JSON.parse(answer.body ?? 'null');
}

function spin(token: string, body: unknown, key?: string) {
  return call(write, spinRequest(token, body, key));
}

describe('the write function', () => {
  it('settles a spin: 201 with the reels and the new balance, served by slots@03 (lambda)', async () => {
    const { token } = await player();

    const answer = await spin(token, { bet: 5 });

    expect(answer.statusCode).toBe(201);
    expect(answer.headers?.['x-served-by']).toBe('slots@03 (lambda)');
    const settled = bodyOf(answer);
    expect(settled.reels).toHaveLength(3);
    expect(settled.balance).toBe(1000 - 5 + settled.payout);
  });

  it('answers a retried Idempotency-Key with the first spin and Idempotent-Replayed: true', async () => {
    const { token } = await player();

    const first = await spin(token, { bet: 2 }, 'retry-1');
    const again = await spin(token, { bet: 2 }, 'retry-1');

    expect(again.statusCode).toBe(201);
    expect(again.headers?.['idempotent-replayed']).toBe('true');
    expect(first.headers?.['idempotent-replayed']).toBeUndefined();
    expect(bodyOf(again)).toEqual(bodyOf(first));
  });

  it('refuses a spin without a token (401, WWW-Authenticate) and a bad bet (422 naming bet)', async () => {
    const { token } = await player();

    const anonymous = await call(write, {
      routeKey: 'POST /api/slots/spins',
      method: 'POST',
      path: '/api/slots/spins',
      headers: { 'content-type': 'application/json' },
      body: '{"bet":1}',
    });
    const badBet = await spin(token, { bet: 0.5 });

    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers?.['www-authenticate']).toBe('Bearer');
    expect(badBet.statusCode).toBe(422);
    expect(bodyOf(badBet).errors).toEqual([expect.objectContaining({ path: 'bet' })]);
  });
});

describe('the read function', () => {
  it('answers the wallet, the history and the machine', async () => {
    const { token } = await player();
    await spin(token, { bet: 1 });
    const auth = { authorization: `Bearer ${token}` };

    const wallet = await call(read, {
      routeKey: 'GET /api/slots/wallet',
      method: 'GET',
      path: '/api/slots/wallet',
      headers: auth,
    });
    const history = await call(read, {
      routeKey: 'GET /api/slots/spins',
      method: 'GET',
      path: '/api/slots/spins',
      headers: auth,
      query: { limit: '5' },
    });
    const machine = await call(read, {
      routeKey: 'GET /api/slots/machine',
      method: 'GET',
      path: '/api/slots/machine',
    });

    expect(bodyOf(history).items).toHaveLength(1);
    expect(bodyOf(wallet).balance).toBe(bodyOf(history).items[0].balance);
    expect(bodyOf(machine).rtpExact).toEqual(expect.any(String));
  });

  it('answers a bad history query with the 400 problem the services answer, not a 500', async () => {
    const { token } = await player();

    const answer = await call(read, {
      routeKey: 'GET /api/slots/spins',
      method: 'GET',
      path: '/api/slots/spins',
      headers: { authorization: `Bearer ${token}` },
      query: { limit: '1,2' },
    });

    expect(answer.statusCode).toBe(400);
    expect(answer.headers?.['content-type']).toMatch(/^application\/problem\+json/);
  });
});

describe('the routes of the HTTP API', () => {
  it.each(SLOTS_ROUTES)(
    '$method $path is answered by the $fn function it goes to',
    async (route) => {
      const { token } = await player();
      const handler = route.fn === 'write' ? write : read;

      const answer = await call(handler, {
        routeKey: `${route.method} ${route.path}`,
        method: route.method,
        path: route.path,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(route.method === 'POST' ? { body: '{"bet":1}' } : {}),
      });

      expect(answer.statusCode).toBeLessThan(300);
    },
  );
});

describe('the ranks function', () => {
  it('gives the leaderboard places of the players asked about, and none for others', async () => {
    const gambler = await player();
    const stranger = await player();
    await spin(gambler.token, { bet: 1 });
    const board = bodyOf(
      await call(read, {
        routeKey: 'GET /api/slots/leaderboard',
        method: 'GET',
        path: '/api/slots/leaderboard',
      }),
    ) as { items: { userId: string; rank: number }[] };
    const place = board.items.find((entry) => entry.userId === gambler.id)?.rank;

    const result = await ranks({ players: [gambler.id, stranger.id], requestId: 'r-1' });

    expect(place).toBeDefined();
    expect(result.ranks).toEqual([{ userId: gambler.id, rank: place }]);
  });

  it('fails the invocation on a bad event, with the problem of the use case', async () => {
    await expect(ranks({ players: ['not-a-uuid'] })).rejects.toBeInstanceOf(HttpError);
    await expect(ranks({ players: [] })).rejects.toMatchObject({ status: 400 });
  });
});
