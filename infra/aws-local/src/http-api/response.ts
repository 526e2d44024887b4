/*
 * How API Gateway turns a function's result into the HTTP answer, payload format 2.0. A result
 * with a `statusCode` is a response: its status, `headers`, each of its `cookies` as one
 * Set-Cookie header, and its `body` (base64-decoded when `isBase64Encoded`). Format 2.0 has no
 * `multiValueHeaders`; they are ignored. Any other valid JSON is the body of a 200 with
 * content-type application/json — a JSON string as the string itself, anything else as the
 * function's JSON. A response that names no content-type is sent as text/plain; charset=utf-8.
 * A response API Gateway cannot use (a status outside 100–599, a body that is not a string, a
 * header value with a line break) is its 500.
 */
import { isRecord } from '../is-record.ts';

export interface GatewayAnswer {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

export const jsonMessage = (status: number, message: string): GatewayAnswer => ({
  status,
  headers: [['content-type', 'application/json']],
  body: Buffer.from(JSON.stringify({ message })),
});

// API Gateway's own answers, with its exact bodies.
export const GATEWAY = {
  notFound: () => jsonMessage(404, 'Not Found'),
  tooLarge: () => jsonMessage(413, 'Request Entity Too Large'),
  tooManyRequests: () => jsonMessage(429, 'Too Many Requests'),
  internalError: () => jsonMessage(500, 'Internal Server Error'),
  unavailable: () => jsonMessage(503, 'Service Unavailable'),
  badRequest: () => jsonMessage(400, 'Bad Request'),
};

// Headers the gateway sets itself, whatever the function says.
const OWN_HEADERS = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'apigw-requestid',
]);
// An HTTP API's content type for a response that names none. The developer guide is silent on
// it; AWS's own emulator (the Lambda Test Tool in aws-lambda-dotnet) sends the same.
const DEFAULT_CONTENT_TYPE = 'text/plain; charset=utf-8';
const SAFE_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The answer for a successful invocation's payload (JSON text); undefined when malformed. */
export function toAnswer(payload: string): GatewayAnswer | undefined {
  let result: unknown;
  try {
    result = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (!isRecord(result) || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : payload;
    return {
      status: 200,
      headers: [['content-type', 'application/json']],
      body: Buffer.from(body),
    };
  }
  const { statusCode, headers = {}, cookies = [], body = '', isBase64Encoded } = result;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode)) return undefined;
  if (statusCode < 100 || statusCode > 599) return undefined;
  if (typeof body !== 'string' || !isRecord(headers) || !Array.isArray(cookies)) return undefined;
  const answer: GatewayAnswer = {
    status: statusCode,
    headers: [],
    body: isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body),
  };
  for (const [name, value] of Object.entries(headers)) {
    if (value === null || value === undefined || OWN_HEADERS.has(name.toLowerCase())) continue;
    if (typeof value === 'object') return undefined;
    const text = String(value);
    if (!TOKEN.test(name) || !SAFE_VALUE.test(text)) return undefined;
    answer.headers.push([name, text]);
  }
  for (const cookie of cookies) {
    if (typeof cookie !== 'string' || !SAFE_VALUE.test(cookie)) return undefined;
    answer.headers.push(['set-cookie', cookie]);
  }
  if (!answer.headers.some(([name]) => name.toLowerCase() === 'content-type')) {
    answer.headers.push(['content-type', DEFAULT_CONTENT_TYPE]);
  }
  return answer;
}
