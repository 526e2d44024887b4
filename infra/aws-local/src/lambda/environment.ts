/*
 * One Lambda execution environment: a Node.js child process that loads one function's handler
 * once (the cold start) and then runs one event at a time. A process per environment keeps
 * Lambda's isolation (module state per environment, a crash or `process.exit` ends only that
 * environment) and lets a timeout kill a handler that never yields, which a worker thread or an
 * in-process call could not.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { LocalFunction } from '../model.ts';
import { type LogSink, scaledMs } from '../options.ts';
import type { InvocationResult } from './invoker.ts';
import {
  endLine,
  initReportLine,
  logTail,
  type Report,
  reportLine,
  startLine,
} from './log-lines.ts';
import type { EnvironmentMessage, ErrorDocument, InvokeMessage } from './protocol.ts';

const BOOTSTRAP = new URL('./bootstrap.ts', import.meta.url);

/**
 * Lambda gives the init phase 10 seconds of its own. Not scaled by the time scale: starting a
 * Node.js process and loading the SDK takes the same time whatever the templates say.
 */
const INIT_LIMIT_MS = 10_000;
/** How long stop() waits after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 500;

export interface EnvironmentSettings {
  region: string;
  timeScale: number;
  log: LogSink;
  /** Variables every function gets besides its own (endpoints, fake credentials). */
  env: Record<string, string>;
}

type Settled =
  | { kind: 'result'; payload: string; maxRssMb: number }
  | { kind: 'error'; error: ErrorDocument; maxRssMb: number; fatal: boolean }
  | { kind: 'exit'; reason: string }
  | { kind: 'timeout' };

type InitOutcome =
  | { ok: true }
  | { ok: false; error: ErrorDocument }
  | { ok: false; exitReason: string }
  | { ok: false; timedOut: true };

export class ExecutionEnvironment {
  readonly logStreamName = logStreamName();
  /** False once the process has exited or been told to. */
  alive = true;
  /** Called once when the process has exited (for the pool's bookkeeping). */
  onExit: () => void = () => {};

  private readonly child: ChildProcess;
  private readonly forkedAt = performance.now();
  private readonly initialized: Promise<InitOutcome>;
  private readonly exited: Promise<void>;
  private cold = true;
  private maxRssMb = 0;
  private lines: string[] = [];
  private settle?: (settled: Settled) => void;
  private pendingRequestId?: string;
  private resolveInit: (outcome: InitOutcome) => void = () => {};

  readonly fn: LocalFunction;
  private readonly settings: EnvironmentSettings;

  constructor(fn: LocalFunction, settings: EnvironmentSettings) {
    this.fn = fn;
    this.settings = settings;
    this.initialized = new Promise((resolve) => {
      this.resolveInit = resolve;
    });
    this.child = fork(BOOTSTRAP, [], {
      cwd: fn.codeDir,
      env: lambdaEnvironment(fn, settings, this.logStreamName),
      // Source maps are on only when the function's own NODE_OPTIONS says --enable-source-maps,
      // as on Lambda (NodejsFunction's sourceMap: true sets it); Node.js reads it from the
      // environment. The heap is capped at the memory size, so a runaway allocation ends the
      // environment, not the laptop.
      execArgv: [`--max-old-space-size=${Math.max(fn.memoryMb, 128)}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.on('message', (message: EnvironmentMessage) => this.receive(message));
    // Whatever reaches the real stdout/stderr (V8's fatal errors, native code) is logged too.
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => this.emit(line));
    }
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        this.alive = false;
        const reason = signal ? `signal: ${signalName(signal)}` : `exit status ${code ?? 0}`;
        this.resolveInit({ ok: false, exitReason: reason });
        this.settle?.({ kind: 'exit', reason });
        this.onExit();
        resolve();
      });
    });
    this.child.on('error', (error) => this.emit(`aws-local: environment error: ${error.message}`));
  }

  /** Runs one event; the environment must not be busy. Never rejects. */
  async invoke(event: unknown, requestId: string, invokedArn: string): Promise<InvocationResult> {
    if (!this.cold) this.lines = [];
    const initDurationMs = this.cold ? await this.waitForInit(requestId) : undefined;
    if (typeof initDurationMs === 'object') return initDurationMs;
    this.cold = false;
    this.emit(startLine(requestId));
    const timeoutMs = scaledMs(this.fn.timeoutSeconds, this.settings.timeScale);
    const started = performance.now();
    const settled = await new Promise<Settled>((resolve) => {
      const timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
      this.pendingRequestId = requestId;
      this.settle = (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      const message: InvokeMessage = {
        type: 'invoke',
        requestId,
        event,
        invokedFunctionArn: invokedArn,
        deadlineMs: Date.now() + timeoutMs,
      };
      this.child.send(message, (error) => {
        if (error) resolve({ kind: 'exit', reason: `send failed: ${error.message}` });
      });
    });
    this.settle = undefined;
    this.pendingRequestId = undefined;
    const durationMs = performance.now() - started;
    return this.finish(requestId, settled, durationMs, initDurationMs, timeoutMs);
  }

  /** Ends the process: SIGTERM, then SIGKILL after a short grace (immediately when `force`). */
  async kill(force = false): Promise<void> {
    this.alive = false;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(force ? 'SIGKILL' : 'SIGTERM');
      if (!force) {
        const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
        await this.exited;
        clearTimeout(timer);
      }
    }
    await this.exited;
  }

  /** Resolves to the init duration, or to the invocation's error result when init failed. */
  private async waitForInit(requestId: string): Promise<number | InvocationResult> {
    const timer = setTimeout(() => {
      this.resolveInit({ ok: false, timedOut: true });
    }, INIT_LIMIT_MS);
    const outcome = await this.initialized;
    clearTimeout(timer);
    const initDurationMs = performance.now() - this.forkedAt;
    if (outcome.ok) return initDurationMs;
    await this.kill(true);
    const timedOut = 'timedOut' in outcome;
    const error = timedOut
      ? timeoutError(requestId, INIT_LIMIT_MS)
      : 'error' in outcome
        ? outcome.error
        : exitError(requestId, outcome.exitReason);
    this.emit(initReportLine(initDurationMs, error.errorType));
    this.emit(startLine(requestId));
    this.endInvocation({
      requestId,
      durationMs: 0,
      initDurationMs,
      status: { status: 'error', errorType: error.errorType },
    });
    const kind = timedOut ? 'timeout' : 'crash';
    return { outcome: 'error', kind, error, logTail: logTail(this.lines) };
  }

  private async finish(
    requestId: string,
    settled: Settled,
    durationMs: number,
    initDurationMs: number | undefined,
    timeoutMs: number,
  ): Promise<InvocationResult> {
    const report = { requestId, durationMs, initDurationMs };
    if (settled.kind === 'result' || (settled.kind === 'error' && !settled.fatal)) {
      this.maxRssMb = settled.maxRssMb;
      this.endInvocation(report);
      const logs = logTail(this.lines);
      return settled.kind === 'result'
        ? { outcome: 'success', payload: settled.payload, logTail: logs }
        : { outcome: 'error', kind: 'handled', error: settled.error, logTail: logs };
    }
    let error: ErrorDocument;
    if (settled.kind === 'timeout') {
      await this.kill(true);
      error = timeoutError(requestId, timeoutMs);
      this.emit(
        `${new Date().toISOString()} ${requestId} Task timed out after ${seconds(timeoutMs)} seconds`,
      );
    } else if (settled.kind === 'error') {
      await this.kill(true);
      error = settled.error;
    } else {
      error = exitError(requestId, settled.reason);
      this.emit(error.errorMessage);
      this.emit(error.errorType);
    }
    const status =
      settled.kind === 'timeout'
        ? ({ status: 'timeout' } as const)
        : ({ status: 'error', errorType: error.errorType } as const);
    this.endInvocation({ ...report, status });
    const kind = settled.kind === 'timeout' ? 'timeout' : 'crash';
    return { outcome: 'error', kind, error, logTail: logTail(this.lines) };
  }

  private receive(message: EnvironmentMessage): void {
    switch (message.type) {
      case 'log':
        this.emit(message.line);
        return;
      case 'ready':
        this.maxRssMb = message.maxRssMb;
        this.resolveInit({ ok: true });
        return;
      case 'init-error':
        this.alive = false;
        this.resolveInit({ ok: false, error: message.error });
        return;
      case 'result':
      case 'error':
        if (message.type === 'error' && message.fatal) this.alive = false;
        if (message.requestId !== this.pendingRequestId) return;
        this.settle?.(
          message.type === 'result'
            ? { kind: 'result', payload: message.payload, maxRssMb: message.maxRssMb }
            : {
                kind: 'error',
                error: message.error,
                maxRssMb: message.maxRssMb,
                fatal: message.fatal,
              },
        );
    }
  }

  /** END and REPORT: the two lines Lambda writes after every invocation, whatever its end. */
  private endInvocation(report: Omit<Report, 'memorySizeMb' | 'maxMemoryUsedMb'>): void {
    this.emit(endLine(report.requestId));
    this.emit(
      reportLine({ ...report, memorySizeMb: this.fn.memoryMb, maxMemoryUsedMb: this.maxRssMb }),
    );
  }

  private emit(line: string): void {
    this.lines.push(line);
    this.settings.log(this.fn.name, line);
  }
}

/** The variables Lambda sets in every environment, over the function's own. */
export function lambdaEnvironment(
  fn: LocalFunction,
  settings: EnvironmentSettings,
  logStream: string,
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    ...fn.environment,
    ...settings.env,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: logStream,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: settings.region,
    AWS_DEFAULT_REGION: settings.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
    LAMBDA_TASK_ROOT: fn.codeDir,
    _HANDLER: fn.handler,
    TZ: ':UTC',
  };
}

/** `2026/12/06/[$LATEST]<32 hex digits>`, the shape of Lambda's log stream names. */
function logStreamName(): string {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(2);
}

/** The body Lambda returns for a timeout (Amazon Linux 2023 runtimes). */
function timeoutError(requestId: string, timeoutMs: number): ErrorDocument {
  return {
    errorType: 'Sandbox.Timedout',
    errorMessage: `RequestId: ${requestId} Error: Task timed out after ${seconds(timeoutMs)} seconds`,
    trace: [],
  };
}

function exitError(requestId: string, reason: string): ErrorDocument {
  return {
    errorType: 'Runtime.ExitError',
    errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${reason}`,
    trace: [],
  };
}

/** Signal names as Lambda prints them (Go's wording). */
function signalName(signal: NodeJS.Signals): string {
  const names: Partial<Record<NodeJS.Signals, string>> = {
    SIGKILL: 'killed',
    SIGTERM: 'terminated',
    SIGABRT: 'aborted',
    SIGSEGV: 'segmentation fault',
  };
  return names[signal] ?? signal;
}
