/*
 * The Lambda side of HTTP: what createServiceApp and finishServiceApp do for an Express service,
 * for a function behind an API Gateway HTTP API (payload format 2.0). Every answer, errors
 * included, carries X-Request-Id and X-Served-By; a JSON body follows the same rules as the
 * Express services' (parseJsonRequest); every error leaves as problem+json through the same
 * mapping (problemFor); one JSON log line per request. Route handlers stay thin: read the
 * request, call a use case, answer. No Express in here: a function starts faster without it and
 * the event already says which route matched.
 */
import {
  DEFAULT_BODY_LIMIT_BYTES,
  type Logger,
  logRequestLine,
  PROBLEM_LOG_MESSAGES,
  parseJsonRequest,
  problemFor,
  problems,
  requestIdFrom,
  type ServiceIdentity,
  servedBy,
} from '@course/service-kit/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyHandlerV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';

/** What a route handler gets: the request as plain values, its id, and a logger carrying it. */
export interface HttpRequest {
  method: string;
  /** The path, percent-decoded by API Gateway, e.g. /api/slots/spins. */
  path: string;
  /** A header by its lower-case name (API Gateway lower-cases them). */
  header(name: string): string | undefined;
  /** The query string's values (API Gateway joins a repeated name's values with commas). */
  query: Record<string, string>;
  /** The JSON body, parsed by the services' rules; undefined when none was sent. */
  body: unknown;
  requestId: string;
  log: Logger;
}

/**
 * What a route handler answers. A failure is thrown and answered by problemFor: an HttpError as
 * it is, a dependency found down as a 503, anything else as a 500.
 */
export interface HttpAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type RouteHandler = (request: HttpRequest) => Promise<HttpAnswer> | HttpAnswer;

export interface HttpFunctionOptions {
  identity: ServiceIdentity;
  log: Logger;
  /**
   * The function's routes by API Gateway's route key, e.g. 'POST /api/slots/spins'. The HTTP API
   * has already matched the request to one of its routes; any key not here (its `$default`
   * route above all) goes to `unrouted`.
   */
  routes: Record<string, RouteHandler>;
  /** What answers a route key not in `routes`. Default: the contract's 404, as in Express. */
  unrouted?: RouteHandler;
  /** Largest accepted JSON body; larger ones get 413. Default 32 KiB, as the services'. */
  bodyLimitBytes?: number;
  /**
   * How long before the function's own timeout the adapter gives up on a route and answers 503
   * itself. Default 500 ms: enough to build, log and return the answer.
   */
  deadlineMarginMs?: number;
}

const DEFAULT_DEADLINE_MARGIN_MS = 500;

/**
 * What every answer carries besides X-Request-Id and X-Served-By. helmet sends the same in the
 * Express services: no browser may take a JSON answer for a script or a style sheet.
 */
const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff' } as const;

/** A handler API Gateway can call (an APIGatewayProxyHandlerV2) that tests can call too. */
export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export function httpFunction(options: HttpFunctionOptions): HttpHandler {
  const servedByValue = servedBy(options.identity);
  const limitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const marginMs = options.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS;
  // A Map: a route key like "constructor" must not find an object's inherited property.
  const routes = new Map(Object.entries(options.routes));
  const unrouted: RouteHandler =
    options.unrouted ??
    ((request) => {
      throw problems.noRoute(request.method, request.path);
    });

  const handler: HttpHandler = async (event, context) => {
    const started = performance.now();
    const headers = event.headers ?? {};
    const requestId = requestIdFrom(headers['x-request-id']);
    // Lambda's own id too: it is the one on the function's START/END/REPORT lines.
    const log = options.log.child({ requestId, awsRequestId: context.awsRequestId });
    const method = event.requestContext.http.method;
    const path = event.rawPath;
    const common = { ...SECURITY_HEADERS, 'x-request-id': requestId, 'x-served-by': servedByValue };

    let answer: APIGatewayProxyStructuredResultV2;
    try {
      const route = routes.get(event.routeKey) ?? unrouted;
      // Before the route, as express.json() runs before any route: a bad body is refused alike.
      const body = parseJsonRequest({
        method,
        contentType: headers['content-type'],
        contentEncoding: headers['content-encoding'],
        body: bodyOf(event),
        limitBytes,
      });
      const result = await beforeTimeout(
        route({
          method,
          path,
          header: (name) => headers[name.toLowerCase()],
          query: queryOf(event),
          body,
          requestId,
          log,
        }),
        context.getRemainingTimeInMillis() - marginMs,
        log,
      );
      answer = {
        statusCode: result.status,
        headers: {
          ...lowerCaseNames(result.headers ?? {}),
          ...common,
          'content-type': 'application/json; charset=utf-8',
        },
        body: JSON.stringify(result.body),
      };
    } catch (err) {
      const problem = problemFor(err, path);
      if (problem.logLevel) log[problem.logLevel]({ err }, PROBLEM_LOG_MESSAGES[problem.logLevel]);
      answer = {
        statusCode: problem.status,
        headers: { ...lowerCaseNames(problem.headers), ...common },
        body: JSON.stringify(problem.body),
      };
    }
    logRequestLine(log, {
      method,
      path,
      status: answer.statusCode ?? 200,
      ms: Math.round(performance.now() - started),
      // API Gateway's id for the request: the one in the HTTP API's access log.
      apiRequestId: event.requestContext.requestId,
    });
    return answer;
  };
  return handler satisfies APIGatewayProxyHandlerV2;
}

/**
 * The route's answer, or a 503 problem when it is not ready `ms` from now. Without this a route
 * stuck on its database would run into the function's timeout, and API Gateway would answer a
 * bare 500 {"message":"Internal Server Error"}: no problem document, no X-Request-Id. The route
 * goes on in the background (its query ends at the connection's statement_timeout). A spin
 * answered this way may or may not have happened; the client retries it with the same
 * Idempotency-Key, which is safe: it replays the spin if it was made, or makes it once.
 */
async function beforeTimeout<T>(work: Promise<T> | T, ms: number, log: Logger): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => {
        log.warn({ waitedMs: Math.max(0, ms) }, 'request abandoned before the function timeout');
        reject(problems.unavailable('The request did not finish in time; please retry.'));
      },
      Math.max(0, ms),
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The handler of a function whose init failed (a configuration error, say): every request gets a
 * 503 problem with X-Request-Id and X-Served-By. Left to fail, the init would run again for every
 * request (Lambda retries a failed init on the next invocation) and API Gateway would answer each
 * with a bare 500 {"message":"Internal Server Error"}. The caller logs the cause once, at fatal.
 */
export function initFailedFunction({
  identity,
  log,
}: Pick<HttpFunctionOptions, 'identity' | 'log'>): HttpHandler {
  return httpFunction({
    identity,
    log,
    routes: {},
    unrouted: () => {
      throw problems.unavailable('The service could not start; please retry later.');
    },
  });
}

/** The body's bytes: API Gateway base64-encodes a body it does not take for text (gzip, say). */
function bodyOf(event: APIGatewayProxyEventV2): Uint8Array | string | undefined {
  if (event.body === undefined) return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body;
}

/** One spelling per header (API Gateway would send both of `Content-Type` and `content-type`). */
function lowerCaseNames(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
}

function queryOf(event: APIGatewayProxyEventV2): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) query[name] = value;
  }
  return query;
}
