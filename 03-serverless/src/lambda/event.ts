import { clfTime } from '@course/aws-local/http-api-event';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** The request an event stands for; the rest is what API Gateway adds. */
export interface HttpEventOptions {
  /** e.g. 'POST /api/slots/spins', or '$default' for a path no route matched. */
  routeKey: string;
  method: string;
  path: string;
  /** Lower-case names, as API Gateway passes them. */
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

/**
 * An API Gateway HTTP API event (payload format 2.0) of the shape the service sends, for calling
 * a function directly: the direct invoke of lab 03 (src/invoke-spin.ts) and the handlers' unit tests.
 * Only what the request says is real: the account, the API id, the source address are made up
 * (nothing in the handlers reads them), and the body is passed as given (API Gateway would
 * base64-encode a body it does not take for text: say so with isBase64Encoded).
 */
export function httpApiEvent(options: HttpEventOptions): APIGatewayProxyEventV2 {
  const query = options.query ?? {};
  const rawQueryString = new URLSearchParams(query).toString();
  const now = new Date();
  return {
    version: '2.0',
    routeKey: options.routeKey,
    rawPath: options.path,
    rawQueryString,
    headers: {
      host: 'direct-invoke.execute-api.us-east-1.amazonaws.com',
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      ...options.headers,
    },
    ...(rawQueryString ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'direct-invoke',
      domainName: 'direct-invoke.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'direct-invoke',
      http: {
        method: options.method,
        path: options.path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'course-direct-invoke',
      },
      requestId: crypto.randomUUID(),
      routeKey: options.routeKey,
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...(options.body === undefined ? {} : { body: options.body }),
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** The request options of a spin: POST /api/slots/spins by the token's player. */
export function spinRequest(
  token: string,
  body: unknown,
  idempotencyKey?: string,
): HttpEventOptions {
  return {
    routeKey: 'POST /api/slots/spins',
    method: 'POST',
    path: '/api/slots/spins',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    body: JSON.stringify(body),
  };
}
