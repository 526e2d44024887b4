import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpHandler } from '@course/serverless/lambda/http';
import { type EventOptions, httpEvent, lambdaContext } from '@course/serverless/test/events';
import { serveJwks } from '@course/serverless/test/jwks';
import { createTokenIssuer, type TokenIssuer } from '@course/service-kit/core';
import type { ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { STUCK_AFTER_MS } from '../../src/purchases/reconcile.ts';
import type { CompleteResult, DebitResult, RefundResult } from '../../src/purchases/saga.ts';
import { executionArnOf } from '../../src/purchases/saga-executions.ts';
import {
  fauxqsForThisFile,
  newPlayer,
  slotsDatabaseForThisFile,
  stubFunctionEnvironment,
} from '../slots/support.ts';

/*
 * The shop's functions as Lambda loads them (their environment read once, at init): the purchases
 * function behind the HTTP API and the reconciler, calling Step Functions through the SDK at
 * AWS_ENDPOINT_URL_SFN — here a small stand-in that speaks the AWS JSON 1.0 protocol and answers as
 * a test tells it — and the debit, refund and complete steps, publishing to SNS served by fauxqs.
 */

const database = slotsDatabaseForThisFile('slots_purchase_functions_test');
const fauxqs = fauxqsForThisFile();
const SAGA_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:PurchaseSaga';

/**
 * A Step Functions endpoint: records the calls; StartExecution answers by `mode`, DescribeExecution
 * by the executions a test sets (any other: ExecutionDoesNotExist, as Step Functions answers).
 */
function fakeStepFunctions() {
  const calls: { target: string; body: Record<string, unknown> }[] = [];
  const executions = new Map<string, Record<string, unknown>>();
  let mode: 'start' | 'exists' | 'down' = 'start';
  const server: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      calls.push({ target: String(request.headers['x-amz-target']), body: JSON.parse(text) });
      const json = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify(body));
      };
      if (request.headers['x-amz-target'] === 'AWSStepFunctions.DescribeExecution') {
        const arn = String(JSON.parse(text).executionArn);
        const execution = executions.get(arn);
        if (execution) json(200, { executionArn: arn, ...execution });
        else
          json(400, {
            __type: 'ExecutionDoesNotExist',
            message: `Execution Does Not Exist: '${arn}'`,
          });
      } else if (mode === 'exists') {
        json(400, { __type: 'ExecutionAlreadyExists', message: 'Execution Already Exists' });
      } else if (mode === 'down') {
        json(503, { __type: 'ServiceUnavailable', message: 'try later' });
      } else {
        json(200, { executionArn: `${SAGA_ARN}:exec`, startDate: Date.now() / 1000 });
      }
    });
  });
  return {
    server,
    calls,
    executions,
    answer(next: typeof mode) {
      mode = next;
    },
    get url() {
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
  };
}

const sfn = fakeStepFunctions();
let jwks: Awaited<ReturnType<typeof serveJwks>>;
let issuer: TokenIssuer;
let purchases: HttpHandler;
let debit: (event: unknown) => Promise<DebitResult>;
let refund: (event: unknown) => Promise<RefundResult>;
let complete: (event: unknown) => Promise<CompleteResult>;
let reconcile: () => Promise<void>;

beforeAll(async () => {
  await new Promise<void>((resolve) => sfn.server.listen(0, '127.0.0.1', resolve));
  const { topicArn } = fauxqs.subscribedQueue('Events', 'Leaderboard');
  issuer = await createTokenIssuer({ issuer: 'users' });
  jwks = await serveJwks(issuer);
  stubFunctionEnvironment({
    databaseUrl: database.url,
    jwksUrl: jwks.url,
    topicArn,
    snsEndpoint: fauxqs.endpoint,
  });
  vi.stubEnv('PURCHASE_SAGA_ARN', SAGA_ARN);
  vi.stubEnv('AWS_ENDPOINT_URL_SFN', sfn.url);
  purchases = (await import('../../src/purchases/functions/purchases.ts')).handler;
  const debitHandler = (await import('../../src/purchases/functions/debit.ts')).handler;
  const refundHandler = (await import('../../src/purchases/functions/refund.ts')).handler;
  const completeHandler = (await import('../../src/purchases/functions/complete.ts')).handler;
  const reconcileHandler = (await import('../../src/purchases/functions/reconcile.ts')).handler;
  debit = (event) => debitHandler(event, lambdaContext());
  refund = (event) => refundHandler(event, lambdaContext());
  complete = (event) => completeHandler(event, lambdaContext());
  reconcile = async () => {
    await reconcileHandler({} as ScheduledEvent, lambdaContext(), () => {});
  };
}, 120_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await jwks?.close();
  await new Promise((resolve) => sfn.server.close(resolve));
});
beforeEach(() => {
  sfn.answer('start');
  sfn.calls.length = 0;
  sfn.executions.clear();
});

async function player() {
  const user = newPlayer();
  return { ...user, token: await issuer.issue(user) };
}

function buyRequest(token: string, body: unknown, idempotencyKey?: string): EventOptions {
  return {
    routeKey: 'POST /api/slots/purchases',
    method: 'POST',
    path: '/api/slots/purchases',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    body: JSON.stringify(body),
  };
}

function readRequest(token: string, id: string): EventOptions {
  return {
    routeKey: 'GET /api/slots/purchases/{id}',
    method: 'GET',
    path: `/api/slots/purchases/${id}`,
    headers: { authorization: `Bearer ${token}` },
  };
}

const call = (event: EventOptions) => purchases(httpEvent(event), lambdaContext());
const bodyOf = (answer: { body?: string }) => JSON.parse(answer.body ?? '{}');

describe('the purchases function', () => {
  it('lists the titles without a token', async () => {
    const answer = await call({
      routeKey: 'GET /api/slots/titles',
      method: 'GET',
      path: '/api/slots/titles',
    });

    expect(answer.statusCode).toBe(200);
    expect(bodyOf(answer).items.map((title: { id: string }) => title.id)).toContain('lucky-seven');
  });

  it('starts the saga named by the new purchase (202, Location) and opens the wallet on first touch', async () => {
    const { id: playerId, token } = await player();

    const answer = await call(buyRequest(token, { titleId: 'lucky-seven' }));

    expect(answer.statusCode).toBe(202);
    const purchase = bodyOf(answer);
    expect(answer.headers?.location).toBe(`/api/slots/purchases/${purchase.id}`);
    expect(sfn.calls).toEqual([
      {
        target: 'AWSStepFunctions.StartExecution',
        body: {
          stateMachineArn: SAGA_ARN,
          name: purchase.id,
          input: JSON.stringify({ purchaseId: purchase.id }),
        },
      },
    ]);
    const wallet = await database.db.wallet.findUnique({ where: { userId: playerId } });
    expect(wallet?.balance).toBe(1000);
  });

  it('answers a replayed key with the same purchase even when Step Functions says it already exists', async () => {
    const { token } = await player();
    const first = bodyOf(await call(buyRequest(token, { titleId: 'lucky-seven' }, 'key-1')));
    sfn.answer('exists');

    const replay = await call(buyRequest(token, { titleId: 'lucky-seven' }, 'key-1'));

    expect(replay.statusCode).toBe(202);
    expect(replay.headers?.['idempotent-replayed']).toBe('true');
    expect(bodyOf(replay).id).toBe(first.id);
  });

  it('answers 503 problem+json when Step Functions is down, and the purchase never runs', async () => {
    const { token } = await player();
    sfn.answer('down');

    const answer = await call(buyRequest(token, { titleId: 'lucky-seven' }));

    expect(answer.statusCode).toBe(503);
    expect(answer.headers?.['content-type']).toMatch(/^application\/problem\+json/);
    const names = [...new Set(sfn.calls.map((call) => String(call.body.name)))];
    expect(names).toHaveLength(1);
    const abandoned = await database.db.purchase.findUniqueOrThrow({ where: { id: names[0] } });
    expect(abandoned).toMatchObject({ status: 'failed', debitedAt: null });
  });

  it('refuses a malformed body with 400 and an unknown title with 422', async () => {
    const { token } = await player();

    const malformed = await call({ ...buyRequest(token, {}), body: '{"titleId": ' });
    const unknown = await call(buyRequest(token, { titleId: 'emperor' }));

    expect([malformed.statusCode, unknown.statusCode]).toEqual([400, 422]);
    expect(sfn.calls).toEqual([]);
  });
});

describe('the debit and refund steps', () => {
  it('debit and refund move the credits once each, publish their events and show in the purchase', async () => {
    const { id: playerId, token } = await player();
    const { id } = bodyOf(await call(buyRequest(token, { titleId: 'high-roller' })));

    const outcomes = [
      await debit({ purchaseId: id }),
      await debit({ purchaseId: id }),
      await refund({ purchaseId: id }),
      await refund({ purchaseId: id }),
    ];
    const read = await call(readRequest(token, id));

    expect(outcomes.map((outcome) => outcome.outcome)).toEqual([
      'debited',
      'debited',
      'refunded',
      'refunded',
    ]);
    const wallet = await database.db.wallet.findUniqueOrThrow({ where: { userId: playerId } });
    expect(wallet.balance).toBe(1000);
    const rows = await database.db.outboxEvent.findMany({
      where: { type: { startsWith: 'Credits' } },
    });
    const mine = rows.filter((row) => JSON.stringify(row.event).includes(id));
    expect(mine.map((row) => [row.type, row.publishedAt !== null])).toEqual([
      ['CreditsSpent', true],
      ['CreditsRefunded', true],
    ]);
    expect(read.statusCode).toBe(200);
    const purchase = bodyOf(read);
    expect(purchase.status).toBe('refunded');
    expect(
      purchase.steps.map(
        (step: { step: string; attempt: number }) => `${step.step}#${step.attempt}`,
      ),
    ).toEqual(['debit#1', 'debit#2', 'refund#1', 'refund#2']);
  });

  it('a step refuses an event that names no purchase, before touching anything', async () => {
    await expect(debit({ purchaseId: 'not-a-uuid' })).rejects.toThrow(/purchaseId/);
    await expect(refund({})).rejects.toThrow(/purchaseId/);
  });
});

describe('the complete step', () => {
  it('completes a debited purchase, and refuses an event that names no purchase', async () => {
    const { token } = await player();
    const { id } = bodyOf(await call(buyRequest(token, { titleId: 'lucky-seven' })));
    await debit({ purchaseId: id });

    const outcome = await complete({ purchaseId: id });

    expect(outcome).toEqual({ outcome: 'completed' });
    expect(bodyOf(await call(readRequest(token, id))).status).toBe('completed');
    await expect(complete({ purchaseId: 'not-a-uuid' })).rejects.toThrow(/purchaseId/);
  });
});

describe('the reconciler function', () => {
  it('asks Step Functions about each stuck purchase by its execution ARN, closes them by the answers, and writes its metrics', async () => {
    const { token } = await player();
    const buy = async () => bodyOf(await call(buyRequest(token, { titleId: 'lucky-seven' }))).id;
    const [succeeded, failed, missing] = [await buy(), await buy(), await buy()];
    await debit({ purchaseId: succeeded });
    await debit({ purchaseId: failed });
    await database.db.purchase.updateMany({
      where: { id: { in: [succeeded, failed, missing] } },
      data: { createdAt: new Date(Date.now() - STUCK_AFTER_MS - 60_000) },
    });
    sfn.calls.length = 0;
    sfn.executions.set(executionArnOf(SAGA_ARN, succeeded), { status: 'SUCCEEDED' });
    sfn.executions.set(executionArnOf(SAGA_ARN, failed), {
      status: 'FAILED',
      error: 'States.Runtime',
      cause: 'An error occurred while executing the state',
    });
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let written: unknown[][];

    try {
      await reconcile();
    } finally {
      written = [...stdout.mock.calls];
      stdout.mockRestore();
    }

    const statusOf = async (id: string) => bodyOf(await call(readRequest(token, id))).status;
    expect([await statusOf(succeeded), await statusOf(failed), await statusOf(missing)]).toEqual([
      'completed',
      'failed',
      'failed',
    ]);
    expect(sfn.calls.map((call) => [call.target, call.body.executionArn]).sort()).toEqual(
      [succeeded, failed, missing]
        .map((id) => ['AWSStepFunctions.DescribeExecution', executionArnOf(SAGA_ARN, id)])
        .sort(),
    );
    expect(executionArnOf(SAGA_ARN, 'p-1')).toBe(
      'arn:aws:states:us-east-1:000000000000:execution:PurchaseSaga:p-1',
    );
    const lines = written.map(([chunk]) => String(chunk));
    const emf = lines.map((line) => JSON.parse(line)).find((line) => line._aws);
    expect(emf).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'Course/Purchases' }] },
      StuckPurchases: 0,
      PurchasesHoldingCredits: expect.any(Number),
    });
    expect(emf.PurchasesHoldingCredits).toBeGreaterThanOrEqual(1);
  });
});
