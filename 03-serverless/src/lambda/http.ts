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
  type Logger,
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
  /** The path as the client sent it, e.g. /api/slots/spins. */
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

/** What a route handler answers; a failure is thrown (an HttpError, or anything: a 500). */
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
   * route above all) answers the contract's 404 problem, as an Express service does.
   */
  routes: Record<string, RouteHandler>;
  /** Largest accepted JSON body; larger ones get 413. Default 32 KiB, as the services'. */
  bodyLimitBytes?: number;
}

const DEFAULT_BODY_LIMIT_BYTES = 32_768;

/** A handler API Gateway can call (an APIGatewayProxyHandlerV2) that tests can call too. */
export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export function httpFunction(options: HttpFunctionOptions): HttpHandler {
  const servedByValue = servedBy(options.identity);
  const limitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;

  const handler: HttpHandler = async (event, context) => {
    const started = performance.now();
    const headers = event.headers ?? {};
    const requestId = requestIdFrom(headers['x-request-id']);
    // Lambda's own id too: it is the one on the function's START/END/REPORT lines.
    const log = options.log.child({ requestId, awsRequestId: context.awsRequestId });
    const method = event.requestContext.http.method;
    const path = event.rawPath;
    const common = { 'x-request-id': requestId, 'x-served-by': servedByValue };

    let answer: APIGatewayProxyStructuredResultV2;
    try {
      const route = options.routes[event.routeKey];
      if (route === undefined) throw problems.notFound(`No route for ${method} ${path}.`);
      const body = parseJsonRequest({
        method,
        contentType: headers['content-type'],
        body: bodyText(event),
        limitBytes,
      });
      const result = await route({
        method,
        path,
        header: (name) => headers[name.toLowerCase()],
        query: queryOf(event),
        body,
        requestId,
        log,
      });
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
    logRequest(log, { method, path, status: answer.statusCode ?? 200, started });
    return answer;
  };
  return handler satisfies APIGatewayProxyHandlerV2;
}

/** The body as text: API Gateway base64-encodes a body it does not take for text. */
function bodyText(event: APIGatewayProxyEventV2): string | undefined {
  if (event.body === undefined) return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
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

/** The Express services' access line, word for word, so one query reads both kinds of logs. */
function logRequest(
  log: Logger,
  {
    method,
    path,
    status,
    started,
  }: { method: string; path: string; status: number; started: number },
): void {
  const line = { method, path, status, ms: Math.round(performance.now() - started) };
  if (status >= 500) log.error(line, 'request failed');
  else log.info(line, 'request completed');
}
