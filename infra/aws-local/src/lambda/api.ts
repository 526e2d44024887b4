/*
 * The Lambda Invoke API over HTTP, so `@aws-sdk/client-lambda` (and the AWS CLI) work unchanged
 * against AWS_ENDPOINT_URL_LAMBDA: `POST /2015-03-31/functions/{FunctionName}/invocations`, the
 * REST-JSON protocol. Errors carry their name in `x-amzn-ErrorType` and a JSON body, which is
 * what the SDK's deserializer reads to throw e.g. a ResourceNotFoundException.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../assembly/local-names.ts';
import { listen } from '../listen.ts';
import type { LogSink } from '../options.ts';
import { LATEST, parseFunctionRef } from './function-ref.ts';
import type { InvocationResult, Invoker } from './invoker.ts';

/** Lambda's payload limits: 6 MB for a synchronous request, 1 MB for an asynchronous one. */
const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
const ASYNC_PAYLOAD_LIMIT = 1024 * 1024;
const INVOCATIONS_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const INVOCATION_TYPES = ['RequestResponse', 'Event', 'DryRun'];

export interface LambdaApiOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** For the ARNs in error messages; default the local region and account. */
  region?: string;
  accountId?: string;
  /** Where asynchronous invocations that fail are reported. */
  log?: LogSink;
}

export interface LambdaApi {
  url: string;
  stop(): Promise<void>;
}

class ApiError extends Error {
  readonly status: number;
  readonly errorType: string;
  readonly fields: Record<string, string>;

  constructor(
    status: number,
    errorType: string,
    message: string,
    fields: Record<string, string> = {},
  ) {
    super(message);
    this.status = status;
    this.errorType = errorType;
    this.fields = fields;
  }
}

export async function startLambdaApi(
  invoker: Invoker,
  options: LambdaApiOptions,
): Promise<LambdaApi> {
  const log = options.log ?? (() => {});
  const region = options.region ?? LOCAL_REGION;
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;

  /** The ARN a caller meant, for "Function not found" (AWS names the ARN, qualifier included). */
  function arnOf(ref: string, qualifier: string | undefined): string {
    const parsed = parseFunctionRef(ref);
    const base =
      parsed?.arn ?? `arn:aws:lambda:${region}:${accountId}:function:${parsed?.name ?? ref}`;
    const q = qualifier ?? parsed?.qualifier;
    return q ? `${base}:${q}` : base;
  }

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lambda.local');
    const match = INVOCATIONS_PATH.exec(url.pathname);
    if (!match?.[1] || req.method !== 'POST') {
      await drain(req, 0);
      throw new ApiError(
        404,
        'UnknownOperationException',
        `No operation for ${req.method} ${url.pathname}`,
      );
    }
    const ref = decodePathSegment(match[1]);
    const qualifier = url.searchParams.get('Qualifier') ?? undefined;
    const invocationType = header(req, 'x-amz-invocation-type') ?? 'RequestResponse';
    if (!INVOCATION_TYPES.includes(invocationType)) {
      await drain(req, 0);
      throw new ApiError(
        400,
        'InvalidParameterValueException',
        `1 validation error detected: Value '${invocationType}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [${INVOCATION_TYPES.join(', ')}]`,
      );
    }
    const limit = invocationType === 'Event' ? ASYNC_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
    const body = await drain(req, limit);
    if (body === undefined) {
      throw new ApiError(
        413,
        'RequestTooLargeException',
        `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
      );
    }
    const target = qualifier === undefined ? ref : `${ref}:${qualifier}`;
    if ((qualifier !== undefined && qualifier !== LATEST) || !invoker.has(target)) {
      throw new ApiError(404, 'ResourceNotFoundException', '', {
        Message: `Function not found: ${arnOf(ref, qualifier)}`,
      });
    }
    const event = parsePayload(body);
    const common = { 'x-amzn-requestid': requestId };
    if (invocationType === 'DryRun') {
      res.writeHead(204, common).end();
      return;
    }
    if (invocationType === 'Event') {
      res.writeHead(202, common).end();
      // Lambda queues the event and retries on its own; here it waits for a free environment.
      void invoker.invoke(target, event, { requestId, queue: true }).then(
        (result) => reportAsync(result, requestId),
        (error: unknown) =>
          log('aws-local', `asynchronous invocation ${requestId} failed: ${String(error)}`),
      );
      return;
    }
    const result = await invoker.invoke(target, event, { requestId });
    if (result.outcome === 'throttled') {
      throw new ApiError(429, 'TooManyRequestsException', 'Rate Exceeded.', {
        Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      });
    }
    const headers: Record<string, string> = {
      ...common,
      'content-type': 'application/json',
      'x-amz-executed-version': LATEST,
    };
    if (header(req, 'x-amz-log-type') === 'Tail') {
      // The invoker keeps the last 4 KB of the invocation's log (LOG_TAIL_BYTES).
      headers['x-amz-log-result'] = Buffer.from(result.logTail, 'utf8').toString('base64');
    }
    if (result.outcome === 'success') {
      res.writeHead(200, headers).end(result.payload);
      return;
    }
    const { errorType, errorMessage, trace } = result.error;
    headers['x-amz-function-error'] = 'Unhandled';
    // Lambda sends no trace for a timeout or an exited runtime.
    const document =
      trace.length > 0 ? { errorType, errorMessage, trace } : { errorType, errorMessage };
    res.writeHead(200, headers).end(JSON.stringify(document));
  }

  function reportAsync(result: InvocationResult, requestId: string): void {
    if (result.outcome === 'success') return;
    const what = result.outcome === 'throttled' ? 'throttled' : result.error.errorType;
    log(
      'aws-local',
      `asynchronous invocation ${requestId} ended with ${what}; Lambda would retry it`,
    );
  }

  const server = createServer((req, res) => {
    const requestId = randomUUID();
    handle(req, res, requestId).catch((error: unknown) => {
      const apiError =
        error instanceof ApiError
          ? error
          : new ApiError(500, 'ServiceException', `Internal error: ${String(error)}`);
      if (!(error instanceof ApiError)) log('aws-local', `Lambda API: ${String(error)}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const body = {
        Type: apiError.status >= 500 ? 'Service' : 'User',
        ...messageField(apiError),
        ...apiError.fields,
      };
      res
        .writeHead(apiError.status, {
          'content-type': 'application/json',
          'x-amzn-errortype': apiError.errorType,
          'x-amzn-requestid': requestId,
        })
        .end(JSON.stringify(body));
    });
  });
  return listen(server, options.port, options.host);
}

function messageField(error: ApiError): Record<string, string> {
  return error.message ? { message: error.message } : {};
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(
      400,
      'InvalidParameterValueException',
      'The function name is not validly encoded',
    );
  }
}

/** The payload as the handler's event; Lambda passes `{}` when there is none. */
function parsePayload(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new ApiError(
      400,
      'InvalidRequestContentException',
      `Could not parse request body into json: Could not parse payload into json: ${(error as Error).message}`,
    );
  }
}

/**
 * Reads the whole body (so the client never sees a reset mid-upload); keeps at most `limit`
 * bytes and answers undefined when the body was larger.
 */
async function drain(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size <= limit ? Buffer.concat(chunks) : undefined;
}
