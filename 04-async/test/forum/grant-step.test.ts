import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@course/local';
import { lambdaContext } from '@course/serverless/test/events';
import type { Handler } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { findTitle } from '../../src/purchases/catalog.ts';
import { forumTitlesClient } from '../../src/purchases/forum-titles.ts';
import { insertPurchase, readPurchase } from '../../src/purchases/record.ts';
import {
  type CancelGrantResult,
  FORUM_TITLE_GRANTS_PATH,
  type GrantResult,
  SAGA_ERRORS,
  type StepEvent,
} from '../../src/purchases/saga.ts';
import { slotsDatabaseForThisFile } from '../slots/support.ts';

/*
 * The grant and cancel-grant functions, imported as Lambda loads them (their environment read
 * once, at init), over a fresh slots database holding the purchase records, calling a fake forum
 * on port 0 that answers as each test tells it and records what it was asked.
 */

const database = slotsDatabaseForThisFile('slots_grant_step_test');

interface ForumRequest {
  method: string;
  path: string;
  requestId: string | undefined;
  body: unknown;
}

type Answer = (res: ServerResponse) => void;

const fakeForum = {
  requests: [] as ForumRequest[],
  answer: ((res) => json(res, 200, { outcome: 'granted' })) as Answer,
};

function json(res: ServerResponse, status: number, body: unknown, type = 'application/json') {
  res.writeHead(status, { 'content-type': type }).end(JSON.stringify(body));
}

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  return text === '' ? undefined : JSON.parse(text);
}

const forumServer = createServer(async (req, res) => {
  fakeForum.requests.push({
    method: req.method ?? '',
    path: req.url ?? '',
    requestId: req.headers['x-request-id'] as string | undefined,
    body: await bodyOf(req),
  });
  fakeForum.answer(res);
});

let forumUrl: string;
let grant: (event: StepEvent) => Promise<GrantResult>;
let cancelGrant: (event: StepEvent) => Promise<CancelGrantResult>;

/** Calls a handler as Lambda would, typed by what the step answers. */
function invoking<R>(handler: Handler<StepEvent, R>) {
  return async (event: StepEvent) => (await handler(event, lambdaContext(), () => {})) as R;
}

beforeAll(async () => {
  await new Promise<void>((resolve) => forumServer.listen(0, '127.0.0.1', resolve));
  forumUrl = `http://127.0.0.1:${(forumServer.address() as AddressInfo).port}`;
  vi.stubEnv('DATABASE_URL', database.url);
  vi.stubEnv('FORUM_URL', forumUrl);
  vi.stubEnv('FORUM_TIMEOUT_MS', '300');
  vi.stubEnv('LOG_LEVEL', 'silent');
  grant = invoking((await import('../../src/purchases/functions/grant.ts')).handler);
  cancelGrant = invoking((await import('../../src/purchases/functions/cancel-grant.ts')).handler);
}, 120_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  forumServer.closeAllConnections();
  await new Promise((resolve) => forumServer.close(resolve));
});

beforeEach(() => {
  fakeForum.requests = [];
  fakeForum.answer = (res) => json(res, 200, { outcome: 'granted' });
});

/** A running purchase of `titleId` by a new player, as the purchase API records it. */
async function runningPurchase(titleId = 'high-roller') {
  const title = findTitle(titleId);
  if (!title) throw new Error(`no title ${titleId}`);
  const player = { id: randomUUID(), username: 'alice' };
  const { purchase } = await insertPurchase(database.db, {
    id: randomUUID(),
    player,
    title,
    traceId: randomUUID(),
  });
  return purchase;
}

async function recorded(purchaseId: string) {
  const purchase = await readPurchase(database.db, purchaseId);
  if (!purchase) throw new Error(`no purchase ${purchaseId}`);
  return purchase;
}

/** What a step threw: Lambda reports its name as the error type the state machine matches. */
async function thrownBy(work: Promise<unknown>): Promise<Error> {
  const err = await work.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(err instanceof Error))
    throw new Error(`expected the step to throw, it gave ${String(err)}`);
  return err;
}

describe('the grant function', () => {
  it("grants the record's title to the record's player, then marks the purchase completed", async () => {
    const purchase = await runningPurchase('high-roller');

    const result = await grant({ purchaseId: purchase.id });

    expect(result).toEqual({ outcome: 'granted' });
    expect(fakeForum.requests).toEqual([
      {
        method: 'PUT',
        path: `${FORUM_TITLE_GRANTS_PATH}/${purchase.id}`,
        requestId: purchase.id,
        body: { userId: purchase.userId, username: 'alice', titleId: 'high-roller' },
      },
    ]);
    const after = await recorded(purchase.id);
    expect(after.status).toBe('completed');
    expect(after.steps).toMatchObject([{ step: 'grant', attempt: 1, status: 'succeeded' }]);
  });

  it('throws TitleRefused when the forum refuses for good (409), and leaves the purchase running', async () => {
    const purchase = await runningPurchase();
    fakeForum.answer = (res) =>
      json(
        res,
        409,
        { type: '/problems/title-already-owned', title: 'Title grant refused', status: 409 },
        'application/problem+json',
      );

    const err = await thrownBy(grant({ purchaseId: purchase.id }));

    expect(err.name).toBe(SAGA_ERRORS.titleRefused);
    const after = await recorded(purchase.id);
    expect(after.status).toBe('running');
    expect(after.steps).toMatchObject([
      {
        step: 'grant',
        attempt: 1,
        status: 'failed',
        detail: expect.stringMatching(/^TitleRefused/),
      },
    ]);
  });

  it('throws ForumUnavailable when the forum answers 503, recording each attempt', async () => {
    const purchase = await runningPurchase();
    fakeForum.answer = (res) => json(res, 503, { status: 503 }, 'application/problem+json');

    const first = await thrownBy(grant({ purchaseId: purchase.id }));
    const second = await thrownBy(grant({ purchaseId: purchase.id }));

    expect([first.name, second.name]).toEqual([
      SAGA_ERRORS.forumUnavailable,
      SAGA_ERRORS.forumUnavailable,
    ]);
    expect((await recorded(purchase.id)).steps).toMatchObject([
      { step: 'grant', attempt: 1, status: 'failed' },
      { step: 'grant', attempt: 2, status: 'failed' },
    ]);
  });

  it('throws ForumUnavailable when the forum does not answer within its deadline', async () => {
    const purchase = await runningPurchase();
    fakeForum.answer = (res) => {
      setTimeout(() => json(res, 200, { outcome: 'granted' }), 2_000).unref();
    };

    const started = performance.now();
    const err = await thrownBy(grant({ purchaseId: purchase.id }));

    expect(err.name).toBe(SAGA_ERRORS.forumUnavailable);
    expect(performance.now() - started).toBeLessThan(1_500);
    expect((await recorded(purchase.id)).status).toBe('running');
  });

  it('fails with an error that is neither refusal nor unavailability when the forum answers 422', async () => {
    const purchase = await runningPurchase();
    fakeForum.answer = (res) => json(res, 422, { status: 422 }, 'application/problem+json');

    const err = await thrownBy(grant({ purchaseId: purchase.id }));

    expect(err.name).toBe('UnexpectedForumAnswer');
  });
});

describe('the cancel-grant function', () => {
  it("answers the forum's outcome and records the attempt", async () => {
    const purchase = await runningPurchase();
    fakeForum.answer = (res) => json(res, 200, { outcome: 'revoked' });

    const result = await cancelGrant({ purchaseId: purchase.id });

    expect(result).toEqual({ outcome: 'revoked' });
    expect(fakeForum.requests).toMatchObject([
      {
        method: 'DELETE',
        path: `${FORUM_TITLE_GRANTS_PATH}/${purchase.id}`,
        requestId: purchase.id,
      },
    ]);
    expect((await recorded(purchase.id)).steps).toMatchObject([
      { step: 'cancelGrant', attempt: 1, status: 'succeeded', detail: 'revoked' },
    ]);
  });

  it('takes back the completion of a grant whose answer was lost: the purchase runs on to its refund', async () => {
    const purchase = await runningPurchase();
    await grant({ purchaseId: purchase.id });
    fakeForum.answer = (res) => json(res, 200, { outcome: 'revoked' });

    await cancelGrant({ purchaseId: purchase.id });

    expect((await recorded(purchase.id)).status).toBe('running');
  });

  it('throws ForumUnavailable when the forum answers 500', async () => {
    const purchase = await runningPurchase();
    fakeForum.answer = (res) => json(res, 500, { status: 500 }, 'application/problem+json');

    const err = await thrownBy(cancelGrant({ purchaseId: purchase.id }));

    expect(err.name).toBe(SAGA_ERRORS.forumUnavailable);
  });
});

describe('the forum titles client', () => {
  it('throws ForumUnavailable when nothing listens at the forum address', async () => {
    const forum = forumTitlesClient({ forumUrl: `http://127.0.0.1:${await freePort()}` });
    const grantBody = { userId: randomUUID(), username: 'alice', titleId: 'lucky-seven' };

    const granting = await thrownBy(forum.grant(randomUUID(), grantBody, 'req-1'));
    const cancelling = await thrownBy(forum.cancel(randomUUID(), 'req-2'));

    expect(granting.name).toBe(SAGA_ERRORS.forumUnavailable);
    expect(cancelling.name).toBe(SAGA_ERRORS.forumUnavailable);
  });
});
