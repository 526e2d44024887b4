import { randomUUID } from 'node:crypto';
import {
  createForumApp,
  createForumDb,
  type ForumDatabase,
  forumServiceConfigSchema,
} from '@course/containers/forum';
import stage02Routes from '@course/containers/routes';
import { createHarness } from '@course/contract';
import { matchRoute, pathMatches } from '@course/facade/route-table';
import { containerRoutes } from '@course/serverless/cdk/routes';
import { LOAD_BALANCER_PATHS, SLOTS_API_PATHS } from '@course/serverless/cdk/serverless-stack';
import { serveJwks } from '@course/serverless/test/jwks';
import {
  createLogger,
  createTokenIssuer,
  listen,
  parseConfig,
  type RunningServer,
  type TokenIssuer,
} from '@course/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRANT_REFUSAL_TYPES } from '../../src/forum/title-grant-routes.ts';
import { titlesExtension } from '../../src/forum/titles-extension.ts';
import { FORUM_TITLE_GRANTS_PATH } from '../../src/purchases/saga.ts';
import { forumDatabaseForThisFile } from '../fixtures.ts';

/*
 * The forum service as stage 04 composes it (stage 02's app, with the titles extension), in this
 * process on port 0 over a fresh forum database: the internal title routes over HTTP, and the
 * thread page showing each author's title.
 */

const log = createLogger({ service: 'test', level: 'silent' });
const database = forumDatabaseForThisFile(4);
let forumDb: ForumDatabase;
let issuer: TokenIssuer;
let jwks: Awaited<ReturnType<typeof serveJwks>>;
let server: RunningServer;

beforeAll(async () => {
  forumDb = createForumDb(database.url, 4);
  issuer = await createTokenIssuer({ issuer: 'users' });
  jwks = await serveJwks(issuer);
  const config = parseConfig(forumServiceConfigSchema, {
    DATABASE_URL: database.url,
    JWKS_URL: jwks.url,
    STAGE: '04',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_PER_MINUTE: '0',
  });
  const app = createForumApp({
    config,
    db: forumDb,
    log,
    authorRanks: async () => new Map(),
    ...titlesExtension(database.db),
  });
  server = await listen(app, { port: 0, host: '127.0.0.1', log });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await jwks?.close();
  await forumDb?.$disconnect();
});

const grantUrl = (purchaseId: string) => `${server.url}${FORUM_TITLE_GRANTS_PATH}/${purchaseId}`;

function putGrant(purchaseId: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(grantUrl(purchaseId), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const deleteGrant = (purchaseId: string) => fetch(grantUrl(purchaseId), { method: 'DELETE' });

const grantOf = (userId = randomUUID(), titleId = 'lucky-seven') => ({
  userId,
  username: 'alice',
  titleId,
});

describe('PUT /internal/title-grants/{purchaseId}', () => {
  it('grants the title (200), and answers the same to the same grant again', async () => {
    const purchaseId = randomUUID();
    const body = grantOf();

    const first = await putGrant(purchaseId, body);
    const again = await putGrant(purchaseId, body);

    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ outcome: 'granted' });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ outcome: 'granted' });
  });

  it('keeps the X-Request-Id the caller sent', async () => {
    const purchaseId = randomUUID();

    const response = await putGrant(purchaseId, grantOf(), { 'x-request-id': purchaseId });

    expect(response.headers.get('x-request-id')).toBe(purchaseId);
  });

  it('refuses a title the player already holds with a 409 problem naming the reason', async () => {
    const userId = randomUUID();
    await putGrant(randomUUID(), grantOf(userId, 'high-roller'));

    const response = await putGrant(randomUUID(), grantOf(userId, 'high-roller'));

    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({
      status: 409,
      type: GRANT_REFUSAL_TYPES['already-owned'],
    });
  });

  it('refuses the grant of a cancelled purchase with a 409 problem', async () => {
    const purchaseId = randomUUID();
    await deleteGrant(purchaseId);

    const response = await putGrant(purchaseId, grantOf());

    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ type: GRANT_REFUSAL_TYPES.cancelled });
  });

  it('answers 422 for a title the catalog does not have, naming the field', async () => {
    const response = await putGrant(randomUUID(), grantOf(randomUUID(), 'golden-reel'));

    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({
      errors: [{ path: 'titleId', message: 'No such title in the catalog.' }],
    });
  });

  it('answers 422 for a body without the player', async () => {
    const response = await putGrant(randomUUID(), { titleId: 'lucky-seven' });

    expect(response.status).toBe(422);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const response = await putGrant(randomUUID(), '{"userId": ');

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('answers 404 for a purchase id that is not a UUID', async () => {
    const response = await putGrant('not-a-purchase', grantOf());

    expect(response.status).toBe(404);
  });
});

describe('DELETE /internal/title-grants/{purchaseId}', () => {
  it('revokes a granted title (200 revoked), and answers the same when asked again', async () => {
    const purchaseId = randomUUID();
    await putGrant(purchaseId, grantOf());

    const first = await deleteGrant(purchaseId);
    const again = await deleteGrant(purchaseId);

    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ outcome: 'revoked' });
    expect(await again.json()).toEqual({ outcome: 'revoked' });
  });

  it('cancels a purchase never granted (200 cancelled)', async () => {
    const response = await deleteGrant(randomUUID());

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ outcome: 'cancelled' });
  });

  it('answers 404 for a purchase id that is not a UUID', async () => {
    const response = await deleteGrant('42');

    expect(response.status).toBe(404);
  });
});

describe('the thread page', () => {
  it("shows each post's author title, the one granted last, and none for an author without one", async () => {
    const h = createHarness(() => server.url);
    const titled = { id: randomUUID(), username: 'titled_author' };
    const plain = { id: randomUUID(), username: 'plain_author' };
    const earlier = randomUUID();
    await putGrant(earlier, grantOf(titled.id, 'lucky-seven'));
    // Granted a minute before the next one: two grants can fall in the same millisecond.
    await database.db.titleGrant.update({
      where: { purchaseId: earlier },
      data: { grantedAt: new Date(Date.now() - 60_000) },
    });
    await putGrant(randomUUID(), grantOf(titled.id, 'high-roller'));
    const created = h.expectStatus(
      await h.send('createThread', {
        token: await issuer.issue(titled),
        json: { title: 'Titles', body: 'Look at my name' },
      }),
      201,
    );
    const reply = h.expectStatus(
      await h.send('createPost', {
        params: { id: created.id },
        token: await issuer.issue(plain),
        json: { body: 'Nice' },
      }),
      201,
    );

    const thread = h.expectStatus(await h.send('getThread', { params: { id: created.id } }), 200);

    expect(created.posts[0]?.authorTitle).toBe('High Roller');
    expect(reply.authorTitle).toBeUndefined();
    expect(thread.posts.map((post) => [post.author.username, post.authorTitle])).toEqual([
      ['titled_author', 'High Roller'],
      ['plain_author', undefined],
    ]);
  });

  it('no longer shows a revoked title', async () => {
    const h = createHarness(() => server.url);
    const author = { id: randomUUID(), username: 'revoked_author' };
    const purchaseId = randomUUID();
    await putGrant(purchaseId, grantOf(author.id, 'lucky-seven'));
    await deleteGrant(purchaseId);

    const created = h.expectStatus(
      await h.send('createThread', {
        token: await issuer.issue(author),
        json: { title: 'Revoked', body: 'Hi' },
      }),
      201,
    );

    expect(created.posts[0]?.authorTitle).toBeUndefined();
  });
});

describe('the internal routes are not public', () => {
  const internalPath = `${FORUM_TITLE_GRANTS_PATH}/${randomUUID()}`;

  it('match no route of the local gateway (stage 02 table) or of the load balancer (stage 03 table)', () => {
    expect(matchRoute(stage02Routes, internalPath)).toBeUndefined();
    expect(matchRoute(containerRoutes, internalPath)).toBeUndefined();
  });

  it("match none of the paths CloudFront sends to an origin other than the site's bucket", () => {
    const apiPaths = [...SLOTS_API_PATHS, ...LOAD_BALANCER_PATHS];

    expect(apiPaths.filter((pattern) => pathMatches(pattern, internalPath))).toEqual([]);
  });
});
