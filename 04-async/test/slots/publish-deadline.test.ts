import { createServer, type Server, type Socket } from 'node:net';
import { parseDomainEvent } from '@course/contract/events';
import { spinRequest } from '@course/serverless/lambda/event';
import type { HttpHandler } from '@course/serverless/lambda/http';
import { httpEvent, lambdaContext } from '@course/serverless/test/events';
import { serveJwks } from '@course/serverless/test/jwks';
import { createTokenIssuer, type TokenIssuer } from '@course/service-kit/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newPlayer, slotsDatabaseForThisFile, stubFunctionEnvironment } from './support.ts';

/*
 * The write function, imported as Lambda loads it, with an SNS endpoint that accepts connections
 * and never answers: what a blackholed route, a stuck proxy or an overloaded endpoint look like.
 */

const database = slotsDatabaseForThisFile('slots_publish_deadline_test');

let blackhole: Server;
const sockets: Socket[] = [];
let jwks: Awaited<ReturnType<typeof serveJwks>>;
let issuer: TokenIssuer;
let write: HttpHandler;

beforeAll(async () => {
  // Accepts every connection, reads what it is sent, and never writes a byte back.
  blackhole = createServer((socket) => {
    sockets.push(socket);
    socket.resume();
  });
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  const address = blackhole.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  issuer = await createTokenIssuer({ issuer: 'users' });
  jwks = await serveJwks(issuer);
  stubFunctionEnvironment({
    databaseUrl: database.url,
    jwksUrl: jwks.url,
    topicArn: 'arn:aws:sns:us-east-1:000000000000:Events',
    snsEndpoint: `http://127.0.0.1:${address.port}`,
  });
  write = (await import('../../src/slots/functions/write.ts')).handler;
}, 120_000);
afterAll(async () => {
  vi.unstubAllEnvs();
  await jwks?.close();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => blackhole?.close(resolve));
});

describe('the write function when SNS never answers', () => {
  it('answers 201 within a few seconds and leaves the events in the outbox for the sweeper', async () => {
    const user = newPlayer();
    const token = await issuer.issue(user);
    const started = performance.now();

    const answer = await write(httpEvent(spinRequest(token, { bet: 2 })), lambdaContext());

    const elapsedMs = performance.now() - started;
    expect(answer.statusCode).toBe(201);
    // The function's timeout is 10 s; the relay's deadline (1.5 s per call) ends well before.
    expect(elapsedMs).toBeLessThan(3_000);
    expect(sockets.length).toBeGreaterThan(0);
    const rows = await database.db.outboxEvent.findMany({ orderBy: { position: 'asc' } });
    expect(rows.map((row) => parseDomainEvent(row.event).type)).toEqual([
      'WalletOpened',
      'SpinSettled',
    ]);
    // Unpublished, not parked, no attempt counted: an outage is not the rows' fault.
    expect(rows.map((row) => [row.publishedAt, row.parkedAt, row.attempts])).toEqual([
      [null, null, 0],
      [null, null, 0],
    ]);
  }, 20_000);
});
