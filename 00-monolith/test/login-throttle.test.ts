import { setTimeout as sleep } from 'node:timers/promises';
import { LoginThrottle } from '@course/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  jsonPost,
  type RunningMonolith,
  startDatabase,
  startMonolith,
  type TestDatabase,
} from './support.ts';

const PASSWORD = 'correct horse battery';

let database: TestDatabase;
/** The monolith as it runs locally: clients connect to it directly. */
let direct: RunningMonolith;
/**
 * The monolith as it runs behind CloudFront and a load balancer: two trusted hops
 * (TRUST_PROXY=2). This test's connections play the load balancer. A small per-address
 * allowance keeps the tests short; the per-account policy is the default one.
 */
let behindCloudFront: RunningMonolith;

beforeAll(async () => {
  database = await startDatabase();
  direct = await startMonolith(database.url);
  behindCloudFront = await startMonolith(database.url, {
    env: { TRUST_PROXY: '2' },
    loginThrottle: new LoginThrottle({ perAddress: { freeFailures: 3 } }),
  });
});

afterAll(async () => {
  await direct?.close();
  await behindCloudFront?.close();
  await database?.stop();
});

let counter = 0;
function freshUsername(): string {
  counter += 1;
  return `lt_${process.pid}_${counter}`;
}

async function register(username: string): Promise<void> {
  const res = await fetch(`${direct.url}/api/users`, jsonPost({ username, password: PASSWORD }));
  expect(res.status).toBe(201);
}

function logIn(
  app: RunningMonolith,
  username: string,
  password: string,
  headers: Record<string, string> = {},
) {
  return fetch(`${app.url}/api/sessions`, jsonPost({ username, password }, headers));
}

async function statusesOf(attempts: number, send: () => Promise<Response>): Promise<number[]> {
  const statuses = [];
  for (let i = 0; i < attempts; i++) statuses.push((await send()).status);
  return statuses;
}

describe('failed log-ins per account', () => {
  it('after five wrong passwords, refuses even the right one with 429 and Retry-After, until the wait is over', async () => {
    const username = freshUsername();
    await register(username);
    await statusesOf(5, () => logIn(direct, username, 'wrong password'));

    const throttled = await logIn(direct, username, PASSWORD);
    const retryAfter = Number(throttled.headers.get('retry-after'));
    await sleep(retryAfter * 1_000);
    const afterTheWait = await logIn(direct, username, PASSWORD);

    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await throttled.json()).toMatchObject({
      type: '/problems/too-many-failed-logins',
      status: 429,
    });
    expect(retryAfter).toBe(1);
    expect(afterTheWait.status).toBe(200);
  });

  it('throttles an unknown username exactly as a registered one, so a 429 reveals no player', async () => {
    const registered = freshUsername();
    const unknown = freshUsername();
    await register(registered);

    const forRegistered = await statusesOf(7, () => logIn(direct, registered, 'wrong password'));
    const forUnknown = await statusesOf(7, () => logIn(direct, unknown, 'wrong password'));

    expect(forRegistered).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(forUnknown).toEqual(forRegistered);
  });

  it('checks at most five of twenty wrong passwords sent at once', async () => {
    const username = freshUsername();
    await register(username);

    const responses = await Promise.all(
      Array.from({ length: 20 }, () => logIn(direct, username, 'wrong password')),
    );

    const statuses = responses.map((res) => res.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
  });

  it('gives a player who logs in after mistyping a fresh start', async () => {
    const username = freshUsername();
    await register(username);
    await statusesOf(4, () => logIn(direct, username, 'wrong password'));

    const success = await logIn(direct, username, PASSWORD);
    const mistypesAgain = await statusesOf(6, () => logIn(direct, username, 'wrong password'));

    expect(success.status).toBe(200);
    expect(mistypesAgain).toEqual([401, 401, 401, 401, 401, 429]);
  });
});

describe('failed log-ins per client address, behind CloudFront and a load balancer', () => {
  // What the app receives: X-Forwarded-For "<whatever the client sent>, <viewer>, <edge>";
  // CloudFront appends the viewer's address, the load balancer appends CloudFront's.
  const EDGE = '192.0.2.1';
  const viaCloudFront = (viewer: string, clientSent?: string) => ({
    'x-forwarded-for': [clientSent, viewer, EDGE].filter(Boolean).join(', '),
  });

  it('counts the viewer CloudFront saw, whatever the client puts in front of it', async () => {
    const viewer = '203.0.113.10';

    const guesses = await statusesOf(4, () =>
      logIn(behindCloudFront, freshUsername(), 'guess', viaCloudFront(viewer)),
    );
    const withMadeUpEntries = await Promise.all(
      ['198.51.100.1', '198.51.100.2, 10.0.0.1', 'unknown'].map(
        async (clientSent) =>
          (
            await logIn(
              behindCloudFront,
              freshUsername(),
              'guess',
              viaCloudFront(viewer, clientSent),
            )
          ).status,
      ),
    );

    expect(guesses).toEqual([401, 401, 401, 429]);
    expect(withMadeUpEntries).toEqual([429, 429, 429]);
  });

  it('counts two viewers behind the same CloudFront edge apart', async () => {
    await statusesOf(3, () =>
      logIn(behindCloudFront, freshUsername(), 'guess', viaCloudFront('203.0.113.20')),
    );

    const sameViewer = await logIn(
      behindCloudFront,
      freshUsername(),
      'guess',
      viaCloudFront('203.0.113.20'),
    );
    const otherViewer = await logIn(
      behindCloudFront,
      freshUsername(),
      'guess',
      viaCloudFront('203.0.113.21'),
    );

    expect(sameViewer.status).toBe(429);
    expect(otherViewer.status).toBe(401);
  });
});
