/*
 * The Step Functions API over HTTP, so `@aws-sdk/client-sfn` (and the AWS CLI) work unchanged
 * against AWS_ENDPOINT_URL_SFN: the AWS JSON 1.0 protocol (`POST /`, `X-Amz-Target:
 * AWSStepFunctions.<Operation>`, `application/x-amz-json-1.0`), timestamps as epoch seconds,
 * errors as `{ __type, message }` with status 400. The operations a stage and its lab use:
 * StartExecution, DescribeExecution, GetExecutionHistory, ListExecutions, StopExecution.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { isRecord } from '../is-record.ts';
import { listen } from '../listen.ts';
import type { LogSink } from '../options.ts';
import { type Execution, SfnApiError, type StepFunctionsEngine } from './engine.ts';
import type { HistoryEvent } from './history.ts';

const TARGET_PREFIX = 'AWSStepFunctions.';
/**
 * Operations a lab may reach for that are not served, each answered with what it would do on AWS
 * (still as UnknownOperationException, like any operation the runtime does not serve).
 */
const NOT_SERVED: Record<string, string> = {
  RedriveExecution:
    'RedriveExecution is not served locally: a failed execution stays failed here. On AWS it resumes a Standard execution that ended unsuccessfully in the last 14 days from the step that failed, with the same input and execution ARN.',
};
/** GetExecutionHistory's and ListExecutions' default page (the API's maximum is 1000). */
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

export interface StepFunctionsApi {
  url: string;
  stop(): Promise<void>;
}

type Operation = (request: Record<string, unknown>) => Promise<unknown> | unknown;

export async function startStepFunctionsApi(
  engine: StepFunctionsEngine,
  options: { port: number; host?: string; log: LogSink },
): Promise<StepFunctionsApi> {
  const operations: Record<string, Operation> = {
    StartExecution: (request) => {
      const { executionArn, startDate } = engine.startExecution(request);
      return { executionArn, startDate: epoch(startDate) };
    },
    DescribeExecution: (request) => describe(engine.describeExecution(request.executionArn)),
    GetExecutionHistory: (request) => {
      const events = engine.history(request.executionArn).map(wireEvent);
      const ordered = request.reverseOrder === true ? events.reverse() : events;
      const { items, nextToken } = page(ordered, request);
      return { events: items, ...(nextToken === undefined ? {} : { nextToken }) };
    },
    ListExecutions: (request) => {
      const executions = engine
        .listExecutions(request.stateMachineArn, request.statusFilter)
        .map((e) => summary(e));
      const { items, nextToken } = page(executions, request);
      return { executions: items, ...(nextToken === undefined ? {} : { nextToken }) };
    },
    StopExecution: async (request) => ({
      stopDate: epoch(
        await engine.stopExecution(request.executionArn, request.error, request.cause),
      ),
    }),
  };

  const server = createServer((req, res) => {
    const requestId = randomUUID();
    const answer = (status: number, body: unknown, errorType?: string) => {
      res
        .writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': requestId,
          ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
        })
        .end(JSON.stringify(body));
    };
    handle(req)
      .then((body) => answer(200, body))
      .catch((error: unknown) => {
        const apiError =
          error instanceof SfnApiError
            ? error
            : new SfnApiError('InternalFailure', `Internal error: ${String(error)}`, 500);
        if (!(error instanceof SfnApiError))
          options.log('aws-local', `Step Functions API: ${String(error)}`);
        answer(
          apiError.status,
          { __type: apiError.type, message: apiError.message },
          apiError.type,
        );
      });
  });

  async function handle(req: IncomingMessage): Promise<unknown> {
    const body = await readBody(req);
    const target = req.headers['x-amz-target'];
    const name =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : undefined;
    const operation = name === undefined ? undefined : operations[name];
    if (req.method !== 'POST' || operation === undefined) {
      const served = `served: ${Object.keys(operations).join(', ')}`;
      const notServed = name === undefined ? undefined : NOT_SERVED[name];
      throw new SfnApiError(
        'UnknownOperationException',
        notServed === undefined
          ? `No operation ${String(target)} (${served})`
          : `${notServed} (${served})`,
      );
    }
    let request: unknown;
    try {
      request = body.length === 0 ? {} : JSON.parse(body);
    } catch {
      throw new SfnApiError('SerializationException', 'The request body is not JSON');
    }
    if (!isRecord(request))
      throw new SfnApiError('SerializationException', 'Expected a JSON object');
    return operation(request);
  }

  return listen(server, options.port, options.host);
}

/** AWS JSON 1.0 sends timestamps as seconds since the epoch (fractions allowed). */
function epoch(date: Date): number {
  return date.getTime() / 1000;
}

function summary(execution: Execution): Record<string, unknown> {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: epoch(execution.startDate),
    ...(execution.stopDate === undefined ? {} : { stopDate: epoch(execution.stopDate) }),
  };
}

function describe(execution: Execution): Record<string, unknown> {
  return {
    ...summary(execution),
    input: execution.input,
    inputDetails: { included: true },
    ...(execution.output === undefined
      ? {}
      : { output: execution.output, outputDetails: { included: true } }),
    ...(execution.error === undefined ? {} : { error: execution.error }),
    ...(execution.cause === undefined ? {} : { cause: execution.cause }),
  };
}

function wireEvent(event: HistoryEvent): Record<string, unknown> {
  return { ...event, timestamp: epoch(event.timestamp) };
}

/** maxResults and nextToken (an opaque offset), as the paginated operations take them. */
function page<T>(items: T[], request: Record<string, unknown>): { items: T[]; nextToken?: string } {
  const size =
    request.maxResults === undefined || request.maxResults === 0
      ? DEFAULT_PAGE
      : Number(request.maxResults);
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE) {
    throw new SfnApiError('ValidationException', `maxResults must be between 0 and ${MAX_PAGE}`);
  }
  let offset = 0;
  if (request.nextToken !== undefined) {
    offset = Number(Buffer.from(String(request.nextToken), 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0 || offset > items.length) {
      throw new SfnApiError('InvalidToken', `Invalid Token: '${String(request.nextToken)}'`);
    }
  }
  const end = offset + size;
  return {
    items: items.slice(offset, end),
    ...(end < items.length ? { nextToken: Buffer.from(String(end)).toString('base64url') } : {}),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
