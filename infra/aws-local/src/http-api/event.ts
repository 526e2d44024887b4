/*
 * The event API Gateway sends a Lambda proxy integration, payload format 2.0 ("Create AWS Lambda
 * proxy integrations for HTTP APIs"): header names lower-cased, repeated headers and query keys
 * joined with commas, cookies taken out of the headers into `cookies`, optional fields omitted
 * rather than null. Facts the guide does not spell out, taken from captures of real HTTP APIs:
 * `rawPath` and `requestContext.http.path` arrive URL-decoded and keep a named stage's prefix;
 * the body is text only for text/*, application/json, application/xml and application/javascript
 * — anything else, a form post or a missing Content-Type included, arrives base64-encoded.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { LocalHttpApi } from '../model.ts';
import type { RouteMatch } from './routes.ts';

export interface RequestFacts {
  api: LocalHttpApi;
  accountId: string;
  match: RouteMatch;
  method: string;
  /** Decoded path as the client sent it, stage prefix included. */
  rawPath: string;
  /** Everything after the first `?`, as sent. */
  rawQueryString: string;
  /** Node's `req.rawHeaders`: name, value, name, value… */
  rawHeaders: string[];
  sourceIp: string;
  /** The port the client connected to (x-forwarded-port). */
  localPort: number;
  body: Buffer;
  requestId: string;
  now: Date;
}

const TEXT_TYPES = new Set(['application/json', 'application/xml', 'application/javascript']);

export function buildEvent(facts: RequestFacts): APIGatewayProxyEventV2 {
  const { headers, cookies } = collectHeaders(facts.rawHeaders);
  addForwardingHeaders(headers, facts);
  const queryStringParameters = parseQuery(facts.rawQueryString);
  const domainName = headers.host ?? `127.0.0.1:${facts.localPort}`;
  const binary = !isText(headers['content-type']);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: facts.match.route.routeKey,
    rawPath: facts.rawPath,
    rawQueryString: facts.rawQueryString,
    ...(cookies.length > 0 && { cookies }),
    headers,
    ...(queryStringParameters && { queryStringParameters }),
    requestContext: {
      accountId: facts.accountId,
      apiId: facts.api.apiId,
      domainName,
      domainPrefix: (domainName.split('.')[0] ?? '').split(':')[0] ?? '',
      http: {
        method: facts.method,
        path: facts.rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: facts.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: facts.requestId,
      routeKey: facts.match.route.routeKey,
      stage: facts.api.stageName,
      time: clfTime(facts.now),
      timeEpoch: facts.now.getTime(),
    },
    ...(Object.keys(facts.match.pathParameters).length > 0 && {
      pathParameters: facts.match.pathParameters,
    }),
    isBase64Encoded: facts.body.length > 0 && binary,
  };
  if (facts.body.length > 0) {
    event.body = binary ? facts.body.toString('base64') : facts.body.toString('utf8');
  }
  return event;
}

/** API Gateway's request id: 16 characters of base64, e.g. `JKJaXmPLvHcESHA=`. */
export function newRequestId(): string {
  return randomBytes(11).toString('base64');
}

/**
 * Decodes %XX sequences, leaving a malformed one as it is (a stray `%` must not fail the
 * request: API Gateway routes `/a%zz` like any other path).
 */
export function decodeLeniently(text: string): string {
  return text.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

function collectHeaders(rawHeaders: string[]) {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = rawHeaders[i + 1] ?? '';
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter((c) => c !== ''),
      );
      continue;
    }
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous},${value}`;
  }
  return { headers, cookies };
}

// What API Gateway adds on its way to the integration.
function addForwardingHeaders(headers: Record<string, string>, facts: RequestFacts) {
  const forwarded = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = forwarded ? `${forwarded}, ${facts.sourceIp}` : facts.sourceIp;
  headers['x-forwarded-port'] = String(facts.localPort);
  headers['x-forwarded-proto'] = 'http';
  headers['x-amzn-trace-id'] ??=
    `Root=1-${Math.floor(facts.now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

function parseQuery(raw: string): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  let any = false;
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const decode = (s: string) => decodeLeniently(s.replaceAll('+', ' '));
    const key = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decode(pair.slice(eq + 1));
    const previous = parameters[key];
    parameters[key] = previous === undefined ? value : `${previous},${value}`;
    any = true;
  }
  return any ? parameters : undefined;
}

function isText(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type.startsWith('text/') || TEXT_TYPES.has(type);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, the request time API Gateway reports. */
export function clfTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${two(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}
