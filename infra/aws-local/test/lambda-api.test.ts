import {
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LambdaApi, startLambdaApi } from '../src/lambda/api.ts';
import { createLambdaPool, type LambdaPool } from '../src/lambda/pool.ts';
import { localFunction, logRecorder } from './fixtures/handlers/local-function.ts';

const echo = localFunction('behaviours.echo', { name: 'echo' });
const fails = localFunction('behaviours.fail', { name: 'fails' });
const counter = localFunction('counter.handler', {
  name: 'counter',
  timeoutSeconds: 2,
  reservedConcurrency: 1,
});
const chatty = localFunction('behaviours.logs', { name: 'chatty' });

let pool: LambdaPool;
let api: LambdaApi;
let lambda: LambdaClient;
const recorder = logRecorder();

beforeAll(async () => {
  pool = createLambdaPool([echo, fails, counter, chatty], { timeScale: 0.2, log: recorder.log });
  api = await startLambdaApi(pool, { port: 0, region: 'us-east-1', accountId: '000000000000' });
  lambda = new LambdaClient({
    endpoint: api.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // A throttle must reach the test, not be retried by the SDK.
    maxAttempts: 1,
  });
});

afterAll(async () => {
  lambda.destroy();
  await api.stop();
  await pool.stop();
});

function invoke(
  input: Omit<ConstructorParameters<typeof InvokeCommand>[0], 'Payload'> & { Payload?: string },
) {
  return lambda.send(new InvokeCommand(input));
}

function json(output: InvokeCommandOutput): unknown {
  return JSON.parse(Buffer.from(output.Payload ?? new Uint8Array()).toString('utf8'));
}

/** Waits (bounded) until a function has logged a line containing `text`. */
async function logged(source: string, text: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!recorder.lines(source).some((line) => line.includes(text))) {
    if (Date.now() > deadline) throw new Error(`${source} never logged ${text}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { $metadata: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to fail');
}

describe('the Lambda Invoke API', () => {
  it('answers a RequestResponse call with the function’s payload', async () => {
    const output = await invoke({ FunctionName: 'echo', Payload: JSON.stringify({ bet: 5 }) });

    expect(output.StatusCode).toBe(200);
    expect(output.ExecutedVersion).toBe('$LATEST');
    expect(output.FunctionError).toBeUndefined();
    expect(json(output)).toEqual({ bet: 5 });
  });

  it.each([
    ['an ARN', { FunctionName: echo.arn }],
    ['name:$LATEST', { FunctionName: 'echo:$LATEST' }],
    ['the Qualifier $LATEST', { FunctionName: 'echo', Qualifier: '$LATEST' }],
  ])('finds the function by %s', async (_how, input) => {
    const output = await invoke({ ...input, Payload: '[1,2]' });

    expect(json(output)).toEqual([1, 2]);
  });

  it('passes {} to the handler when there is no payload', async () => {
    const output = await invoke({ FunctionName: 'echo' });

    expect(json(output)).toEqual({});
  });

  it('answers a handler error as a 200 with X-Amz-Function-Error and Lambda’s error document', async () => {
    const output = await invoke({ FunctionName: 'fails', Payload: '{}' });

    expect(output.StatusCode).toBe(200);
    expect(output.FunctionError).toBe('Unhandled');
    expect(json(output)).toEqual({
      errorType: 'DiceError',
      errorMessage: 'the dice fell off the table',
      trace: expect.arrayContaining(['DiceError: the dice fell off the table']),
    });
  });

  it('answers a timeout with the Sandbox.Timedout document', async () => {
    const output = await invoke({
      FunctionName: 'counter',
      Payload: JSON.stringify({ sleepMs: 5000 }),
    });

    expect(output.FunctionError).toBe('Unhandled');
    expect(json(output)).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringMatching(
        /^RequestId: [0-9a-f-]{36} Error: Task timed out after 0\.40 seconds$/,
      ),
    });
  });

  it('returns the invocation’s log, base64, with LogType Tail', async () => {
    const output = await invoke({ FunctionName: 'chatty', LogType: 'Tail', Payload: '{}' });

    const log = Buffer.from(output.LogResult ?? '', 'base64').toString('utf8');
    expect(log).toMatch(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST\n/);
    expect(log).toMatch(/\tINFO\thello world\n/);
    expect(log).toMatch(/\nEND RequestId: [0-9a-f-]{36}\nREPORT RequestId: [^\n]+\n$/);
  });

  it('keeps only the last 4 KB of a long log', async () => {
    const big = Array.from({ length: 200 }, (_, i) => `line ${i} ${'x'.repeat(60)}`);
    // The counter logs its whole event, so a large event makes a long log.
    const output = await invoke({
      FunctionName: 'counter',
      LogType: 'Tail',
      Payload: JSON.stringify({ big }),
    });

    const log = Buffer.from(output.LogResult ?? '', 'base64');
    expect(log.length).toBeLessThanOrEqual(4096);
    expect(log.length).toBeGreaterThan(4000);
    expect(log.toString('utf8')).toMatch(/\nREPORT RequestId: [^\n]+\n$/);
  });

  it('accepts an Event invocation with 202 and runs it in the background', async () => {
    const output = await invoke({
      FunctionName: 'counter',
      InvocationType: 'Event',
      Payload: JSON.stringify({ marker: 'in-the-background' }),
    });

    expect(output.StatusCode).toBe(202);
    await logged('counter', 'in-the-background');
  });

  it('answers a DryRun with 204 and does not run the function', async () => {
    const before = recorder.lines('echo').length;

    const output = await invoke({ FunctionName: 'echo', InvocationType: 'DryRun' });

    expect(output.StatusCode).toBe(204);
    expect(recorder.lines('echo')).toHaveLength(before);
  });
});

describe('the Lambda Invoke API’s errors', () => {
  it('throws ResourceNotFoundException (404) for an unknown function, naming its ARN', async () => {
    const error = await rejection(invoke({ FunctionName: 'nope', Payload: '{}' }));

    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.$metadata.httpStatusCode).toBe(404);
    expect(error.message).toBe(
      'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope',
    );
  });

  it('throws ResourceNotFoundException for a qualifier other than $LATEST', async () => {
    const error = await rejection(invoke({ FunctionName: 'echo', Qualifier: '3', Payload: '{}' }));

    expect(error.name).toBe('ResourceNotFoundException');
    expect(error.message).toBe(
      'Function not found: arn:aws:lambda:us-east-1:000000000000:function:echo:3',
    );
  });

  it('throws TooManyRequestsException (429) when every allowed environment is busy', async () => {
    const busy = invoke({
      FunctionName: 'counter',
      Payload: JSON.stringify({ sleepMs: 300, marker: 'busy' }),
    });
    await logged('counter', '"marker":"busy"');

    const error = await rejection(invoke({ FunctionName: 'counter', Payload: '{}' }));
    await busy;

    expect(error.name).toBe('TooManyRequestsException');
    expect(error.$metadata.httpStatusCode).toBe(429);
    expect(error).toMatchObject({ Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
  });

  it('throws InvalidRequestContentException (400) for a payload that is not JSON', async () => {
    const error = await rejection(invoke({ FunctionName: 'echo', Payload: '{"bet":' }));

    expect(error.name).toBe('InvalidRequestContentException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toMatch(/^Could not parse request body into json/);
  });

  it('throws RequestTooLargeException (413) for a payload over 6 MB', async () => {
    const payload = JSON.stringify({ blob: 'x'.repeat(6 * 1024 * 1024) });

    const error = await rejection(invoke({ FunctionName: 'echo', Payload: payload }));

    expect(error.name).toBe('RequestTooLargeException');
    expect(error.$metadata.httpStatusCode).toBe(413);
  });

  it.each([
    ['GET', '/2015-03-31/functions/echo/invocations', 404, 'UnknownOperationException'],
    ['POST', '/2015-03-31/functions', 404, 'UnknownOperationException'],
    ['POST', '/2015-03-31/functions/%E0%A4%A/invocations', 400, 'InvalidParameterValueException'],
  ])(
    'answers %s %s with a JSON error, and keeps serving',
    async (method, path, status, errorType) => {
      const response = await fetch(`${api.url}${path}`, { method });

      expect(response.status).toBe(status);
      expect(response.headers.get('x-amzn-errortype')).toBe(errorType);
      expect(await response.json()).toMatchObject({ Type: 'User', message: expect.any(String) });
      expect(json(await invoke({ FunctionName: 'echo', Payload: '1' }))).toBe(1);
    },
  );

  it('refuses an unknown invocation type', async () => {
    const response = await fetch(`${api.url}/2015-03-31/functions/echo/invocations`, {
      method: 'POST',
      headers: { 'X-Amz-Invocation-Type': 'Sometime' },
      body: '{}',
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('InvalidParameterValueException');
  });
});

describe('starting the Invoke API', () => {
  it('rejects with EADDRINUSE when its port is taken, instead of throwing from an event', async () => {
    const url = new URL(api.url);

    const start = startLambdaApi(pool, { port: Number(url.port) });

    await expect(start).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
