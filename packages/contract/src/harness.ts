import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import {
  type CallOptions,
  ContractClient,
  type ContractResponse,
  type DocumentedStatus,
  type ResponseBody,
} from './client.ts';
import type { components } from './generated/api.ts';
import { loadContract, type OperationId } from './spec.ts';
import { createResponseValidator, type ResponseValidator } from './validator.ts';

export type Problem = components['schemas']['Problem'];

/** Setup hooks register users and may wait out rate limiting, so they get more than 10 s. */
export const SETUP_TIMEOUT_MS = 60_000;

/** A registered, logged-in user. */
export interface Player {
  id: string;
  username: string;
  password: string;
  token: string;
}

/** The client plus the assertions every test in the suites makes about every response. */
export interface Harness {
  client: ContractClient;
  validator: ResponseValidator;
  /** Calls an operation and asserts that whatever came back conforms to openapi.yaml. */
  send<Op extends OperationId>(
    operationId: Op,
    options?: CallOptions,
  ): Promise<ContractResponse<Op>>;
  /** The same for a request that matches no operation. */
  sendUnknown(method: string, path: string, options?: CallOptions): Promise<ContractResponse<null>>;
  /** Asserts the status and returns the body, typed by the generated types (already schema-checked). */
  expectStatus<Op extends OperationId, S extends DocumentedStatus<Op>>(
    response: ContractResponse<Op>,
    status: S,
  ): ResponseBody<Op, S>;
  /** Asserts an error status with its problem `type` and returns the problem. */
  expectProblem(response: ContractResponse, status: number, type: string): Problem;
  /** Sends a truncated JSON body, a form body and a body over the size limit: 400, 415, 413. */
  expectUnreadableBodiesRefused(operationId: OperationId, options?: CallOptions): Promise<void>;
  /** Registers a fresh user with a random name and logs in. */
  newPlayer(): Promise<Player>;
}

export function createHarness(baseUrl: () => string): Harness {
  const contract = loadContract();
  const client = new ContractClient({ baseUrl, contract });
  const validator = createResponseValidator(contract);

  function assertConforms(response: ContractResponse): void {
    expect(validator.validate(response), describeExchange(response)).toEqual([]);
  }

  async function send<Op extends OperationId>(
    operationId: Op,
    options?: CallOptions,
  ): Promise<ContractResponse<Op>> {
    const response = await client.call(operationId, options);
    assertConforms(response);
    return response;
  }

  async function sendUnknown(method: string, path: string, options?: CallOptions) {
    const response = await client.request(method, path, options);
    assertConforms(response);
    return response;
  }

  function expectStatus<Op extends OperationId, S extends DocumentedStatus<Op>>(
    response: ContractResponse<Op>,
    status: S,
  ): ResponseBody<Op, S> {
    expect(response.status, describeExchange(response)).toBe(status);
    // send() has validated the body against this operation + status, so the cast is checked.
    return response.body as ResponseBody<Op, S>;
  }

  function expectProblem(response: ContractResponse, status: number, type: string): Problem {
    expect(response.status, describeExchange(response)).toBe(status);
    const problem = response.body as Problem;
    expect(problem.type, describeExchange(response)).toBe(type);
    return problem;
  }

  async function expectUnreadableBodiesRefused(
    operationId: OperationId,
    options: CallOptions = {},
  ): Promise<void> {
    const malformed = await send(operationId, { ...options, body: '{"truncated": ' });
    const wrongType = await send(operationId, {
      ...options,
      body: 'field=value',
      contentType: 'application/x-www-form-urlencoded',
    });
    const oversize = await send(operationId, { ...options, body: oversizeJson({}) });

    expectProblem(malformed, 400, 'about:blank');
    expectProblem(wrongType, 415, 'about:blank');
    expectProblem(oversize, 413, 'about:blank');
  }

  async function newPlayer(): Promise<Player> {
    const username = randomUsername();
    const password = `pw-${randomBytes(9).toString('base64url')}`;
    const user = expectStatus(await send('createUser', { json: { username, password } }), 201);
    const session = expectStatus(
      await send('createSession', { json: { username, password } }),
      200,
    );
    return { id: user.id, username, password, token: session.token };
  }

  return {
    client,
    validator,
    send,
    sendUnknown,
    expectStatus,
    expectProblem,
    expectUnreadableBodiesRefused,
    newPlayer,
  };
}

/** Lower-case, so leaderboard ties sort the same under any collation. */
export function randomUsername(): string {
  return `ct_${randomBytes(6).toString('hex')}`;
}

/** One line that says what was sent and what came back, for assertion messages. */
export function describeExchange(response: ContractResponse): string {
  const body = response.text.length > 400 ? `${response.text.slice(0, 400)}…` : response.text;
  return `${response.method} ${response.url} → ${response.status} ${body}`;
}

/** A body just over the 32 KiB limit. */
export function oversizeJson(fields: Record<string, unknown>): string {
  return JSON.stringify({ ...fields, padding: 'x'.repeat(33 * 1024) });
}

/** True when a validation problem points at the field (paths look like `title` or `a.b`). */
export function mentionsField(problem: Problem, field: string): boolean {
  return (problem.errors ?? []).some((error) => error.path.split(/[^A-Za-z0-9_]+/).includes(field));
}

/** Asserts timestamps never increase along the list (newest first). */
export function expectNewestFirst(items: readonly { createdAt: string }[]): void {
  const times = items.map((item) => Date.parse(item.createdAt));
  const sorted = [...times].sort((a, b) => b - a);
  expect(times).toEqual(sorted);
}
