/*
 * The program an execution environment runs (a child process forked by environment.ts): what
 * Lambda's Node.js runtime does inside its sandbox. It loads the handler once (the cold start),
 * then runs one event at a time as the parent sends them, with a Lambda-like context object,
 * and writes the function's console output in the runtime's format:
 * `<ISO time>\t<request id>\t<LEVEL>\t<message>`. It reads the environment variables Lambda
 * sets (LAMBDA_TASK_ROOT, _HANDLER …) as Lambda's own bootstrap does.
 */
import { memoryUsage } from 'node:process';
import { format } from 'node:util';
import { type Handler, loadHandler } from './handler-module.ts';
import type { EnvironmentMessage, ErrorDocument, InvokeMessage } from './protocol.ts';
import { toErrorDocument } from './protocol.ts';
import { provideAwsSdk } from './sdk-resolution.ts';

const env = process.env;
/** Lambda writes `undefined` as the request id of lines logged during init. */
let currentRequestId = 'undefined';
let maxRssMb = 0;

function send(message: EnvironmentMessage, then?: () => void): void {
  process.send?.(message, undefined, {}, then);
}

/** Leaves once the last message is on its way (process.exit alone could drop it). */
function sendAndExit(message: EnvironmentMessage, exitCode: number): void {
  send(message, () => process.exit(exitCode));
}

function log(level: string, args: unknown[]): void {
  const line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${format(...args)}`;
  send({ type: 'log', line });
}

/** console.* in the runtime's format; the log channel is the IPC channel, so lines stay in order. */
function captureConsole(): void {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG' };
  for (const [method, level] of Object.entries(levels)) {
    Object.assign(console, { [method]: (...args: unknown[]) => log(level, args) });
  }
  console.trace = (...args: unknown[]) => log('TRACE', args);
}

/** process.stdout/stderr.write: plain lines, as CloudWatch shows them. */
function captureStream(stream: NodeJS.WriteStream): () => void {
  let pending = '';
  const write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) send({ type: 'log', line });
    const callback = rest.find((arg) => typeof arg === 'function');
    if (callback) queueMicrotask(() => (callback as () => void)());
    return true;
  };
  stream.write = write as typeof stream.write;
  return () => {
    if (pending) send({ type: 'log', line: pending });
    pending = '';
  };
}

function trackMemory(): number {
  maxRssMb = Math.max(maxRssMb, Math.ceil(memoryUsage.rss() / 1024 / 1024));
  return maxRssMb;
}

/** Errors outside the handler's promise end the environment, as they do on Lambda. */
function exitOnStrayErrors(): void {
  const fail = (error: unknown, errorType?: string) => {
    const document = toErrorDocument(error, errorType);
    log('ERROR', [`Uncaught Exception \t${errorJson(document)}`]);
    sendAndExit(
      { type: 'error', requestId: currentRequestId, error: document, maxRssMb, fatal: true },
      129,
    );
  };
  process.on('uncaughtException', (error) => fail(error));
  process.on('unhandledRejection', (reason) =>
    fail(
      reason instanceof Error ? reason : new Error(String(reason)),
      'Runtime.UnhandledPromiseRejection',
    ),
  );
}

/** The error as the runtime logs it: the trace under `stack`. */
function errorJson({ errorType, errorMessage, trace }: ErrorDocument): string {
  return JSON.stringify({ errorType, errorMessage, stack: trace });
}

function contextFor(message: InvokeMessage): object {
  const name = env.AWS_LAMBDA_FUNCTION_NAME ?? '';
  return {
    awsRequestId: message.requestId,
    functionName: name,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    // Kept for code that sets it; an environment outlives its invocations either way.
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
  };
}

async function invoke(handler: Handler, message: InvokeMessage, flush: () => void): Promise<void> {
  currentRequestId = message.requestId;
  try {
    const value = await handler(message.event, contextFor(message));
    flush();
    const payload = JSON.stringify(value) ?? 'null';
    send({ type: 'result', requestId: message.requestId, payload, maxRssMb: trackMemory() });
  } catch (error) {
    flush();
    const document = toErrorDocument(error);
    log('ERROR', [`Invoke Error \t${errorJson(document)}`]);
    send({
      type: 'error',
      requestId: message.requestId,
      error: document,
      maxRssMb: trackMemory(),
      fatal: false,
    });
  }
}

async function main(): Promise<void> {
  captureConsole();
  const flushOut = captureStream(process.stdout);
  const flushErr = captureStream(process.stderr);
  const flush = () => {
    flushOut();
    flushErr();
  };
  provideAwsSdk();
  let handler: Handler;
  try {
    // AWS_EXECUTION_ENV is `AWS_Lambda_nodejs22.x`: the runtime decides about callback handlers.
    const runtime = (env.AWS_EXECUTION_ENV ?? '').replace(/^AWS_Lambda_/, '');
    handler = await loadHandler(env.LAMBDA_TASK_ROOT ?? '.', env._HANDLER ?? '', runtime);
  } catch (error) {
    flush();
    const document = toErrorDocument(error);
    log('ERROR', [`Uncaught Exception \t${errorJson(document)}`]);
    sendAndExit({ type: 'init-error', error: document }, 1);
    return;
  }
  exitOnStrayErrors();
  process.on('message', (message: InvokeMessage) => void invoke(handler, message, flush));
  send({ type: 'ready', maxRssMb: trackMemory() });
}

await main();
