import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { operations } from './generated/api.ts';
import { type Contract, loadContract, type OperationId } from './spec.ts';
import type { ObservedResponse } from './validator.ts';

type ResponsesOf<Op extends OperationId> = operations[Op]['responses'];
/** The status codes openapi.yaml documents for an operation, e.g. `201 | 400 | 409 | …`. */
export type DocumentedStatus<Op extends OperationId> = Extract<keyof ResponsesOf<Op>, number>;
/** The body type of one documented response, generated from openapi.yaml. */
export type ResponseBody<
  Op extends OperationId,
  S extends DocumentedStatus<Op>,
> = ResponsesOf<Op>[S] extends { content: infer Content } ? Content[keyof Content] : never;

export interface CallOptions {
  /** Path parameters, percent-encoded by the client. */
  params?: Record<string, string>;
  /** Path parameters inserted verbatim, to send deliberately malformed paths. */
  rawParams?: Record<string, string>;
  /** Query parameters, or a raw query string (without `?`) to send malformed ones. */
  query?: Record<string, string | number> | string;
  /** A value to send as JSON. */
  json?: unknown;
  /** A raw request body, sent as is. */
  body?: string;
  /** Defaults to application/json when a body is sent; null sends no Content-Type. */
  contentType?: string | null;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Extra headers; they win over everything above. */
  headers?: Record<string, string>;
  /** Defaults to a fresh valid id; null sends none. */
  requestId?: string | null;
}

export interface ContractResponse<Op extends OperationId | null = OperationId | null>
  extends ObservedResponse {
  operationId: Op;
  method: string;
  url: string;
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: unknown;
  /** The X-Request-Id as the server received it (fetch trims surrounding whitespace). */
  sentRequestId: string | null;
  /** How many 429 answers were waited out before this one. */
  rateLimitedRetries: number;
}

export interface ContractClientOptions {
  /** Read on every request, so a test can start its server after building the client. */
  baseUrl: () => string;
  contract?: Contract;
  /** How many 429 answers to wait out per request before returning the 429. */
  maxRateLimitRetries?: number;
  /** Upper bound on one Retry-After wait. */
  maxRetryAfterSeconds?: number;
  requestTimeoutMs?: number;
}

/**
 * A small HTTP client that speaks in operationIds. It resolves method and path from
 * openapi.yaml, waits out rate limiting the way a polite client should (Retry-After), and
 * records which operations answered with which statuses so a suite can prove its coverage.
 */
export class ContractClient {
  /** operationId → statuses seen. */
  readonly exercised = new Map<OperationId, Set<number>>();
  readonly contract: Contract;
  readonly #options: Required<Omit<ContractClientOptions, 'contract'>>;

  constructor(options: ContractClientOptions) {
    this.contract = options.contract ?? loadContract();
    this.#options = {
      baseUrl: options.baseUrl,
      maxRateLimitRetries: options.maxRateLimitRetries ?? 5,
      maxRetryAfterSeconds: options.maxRetryAfterSeconds ?? 60,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    };
  }

  async call<Op extends OperationId>(
    operationId: Op,
    options: CallOptions = {},
  ): Promise<ContractResponse<Op>> {
    const operation = this.contract.operations.get(operationId);
    if (!operation) throw new Error(`openapi.yaml has no operation ${operationId}`);
    const path = fillPath(operation.path, options);
    const response = await this.#send(operation.method.toUpperCase(), path, options, operationId);
    this.#record(operationId, response.status);
    return response;
  }

  /** A request outside the documented operations (unknown routes, methods). */
  request(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<ContractResponse<null>> {
    return this.#send(method, path, options, null);
  }

  #record(operationId: OperationId, status: number): void {
    const statuses = this.exercised.get(operationId) ?? new Set<number>();
    statuses.add(status);
    this.exercised.set(operationId, statuses);
  }

  async #send<Op extends OperationId | null>(
    method: string,
    path: string,
    options: CallOptions,
    operationId: Op,
  ): Promise<ContractResponse<Op>> {
    const url = new URL(path + queryString(options.query), this.#options.baseUrl()).toString();
    const { headers, sentRequestId } = buildHeaders(options);
    const body =
      options.body ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
    for (let attempt = 0; ; attempt += 1) {
      const response = await fetch(url, {
        method,
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#options.requestTimeoutMs),
      });
      const text = await response.text();
      if (
        !isPlainRateLimit(response.status, text) ||
        attempt >= this.#options.maxRateLimitRetries
      ) {
        return {
          operationId,
          method,
          url,
          status: response.status,
          headers: response.headers,
          text,
          body: parseJsonOrUndefined(text),
          sentRequestId,
          rateLimitedRetries: attempt,
        };
      }
      await sleep(
        retryAfterMs(response.headers.get('retry-after'), this.#options.maxRetryAfterSeconds),
      );
    }
  }
}

function fillPath(template: string, options: CallOptions): string {
  return template.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const raw = options.rawParams?.[name];
    if (raw !== undefined) return raw;
    const value = options.params?.[name];
    if (value === undefined) throw new Error(`missing path parameter ${name} for ${template}`);
    return encodeURIComponent(value);
  });
}

function queryString(query: CallOptions['query']): string {
  if (query === undefined) return '';
  if (typeof query === 'string') return query === '' ? '' : `?${query}`;
  const search = new URLSearchParams(
    Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
  );
  return `?${search.toString()}`;
}

function buildHeaders(options: CallOptions): { headers: Headers; sentRequestId: string | null } {
  const headers = new Headers();
  const hasBody = options.body !== undefined || options.json !== undefined;
  const contentType =
    options.contentType === undefined && hasBody ? 'application/json' : options.contentType;
  if (contentType) headers.set('content-type', contentType);
  if (options.token !== undefined) headers.set('authorization', `Bearer ${options.token}`);
  const requestId =
    options.requestId === undefined ? `contract-${randomUUID()}` : options.requestId;
  if (requestId !== null) headers.set('x-request-id', requestId);
  for (const [name, value] of Object.entries(options.headers ?? {})) headers.set(name, value);
  // Headers normalises values (strips surrounding whitespace): read back what is really sent.
  return { headers, sentRequestId: headers.get('x-request-id') };
}

/**
 * Plain rate limiting (a 429 that is `about:blank`, or has no problem body) is waited out. A
 * 429 with a problem type of its own, such as too many failed log-ins, is an answer for the
 * caller: sending the same wrong password again after the wait would only count one more.
 */
function isPlainRateLimit(status: number, text: string): boolean {
  if (status !== 429) return false;
  const body = parseJsonOrUndefined(text);
  const type = typeof body === 'object' && body !== null && 'type' in body ? body.type : undefined;
  return type === undefined || type === 'about:blank';
}

/** Retry-After is either delta-seconds or an HTTP date; a missing one means "soon". */
export function retryAfterMs(value: string | null, maxSeconds: number, now = Date.now()): number {
  const seconds =
    value === null
      ? 1
      : /^\d+$/.test(value.trim())
        ? Number(value)
        : (Date.parse(value) - now) / 1000;
  const bounded = Number.isFinite(seconds) ? Math.min(Math.max(seconds, 0), maxSeconds) : 1;
  return Math.ceil(bounded * 1000);
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
