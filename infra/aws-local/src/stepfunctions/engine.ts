/*
 * The local Step Functions: executions of the application's state machines, in memory, run by
 * aws-local-stepfunctions (MIT, pure TypeScript; the ASL interpreter: JSONPath, Choice, Retry,
 * Catch, Parallel, inline Map, Wait). What this file adds around it:
 * - every Task runs through the runtime's own Invoker (the Lambda pool, with its fault switches),
 *   emulating the optimized integration `arn:aws:states:::lambda:invoke` CDK's LambdaInvoke
 *   emits: the state's effective Parameters `{FunctionName, Payload}` in, `{ExecutedVersion,
 *   Payload, StatusCode, SdkHttpMetadata, SdkResponseMetadata}` out; a function error fails the
 *   task as Step Functions names it (lambdaTaskError), so Retry and Catch match `TitleRefused`,
 *   `States.TaskFailed` or `States.ALL` as on AWS;
 * - the template's durations scaled by timeScale (Retry intervals, Wait seconds, timeouts);
 * - executions by name: Standard workflows' rules for a name used twice;
 * - stop(): running executions are aborted, and none calls a function afterwards.
 */
import { randomUUID } from 'node:crypto';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { eachState, LAMBDA_INVOKE_RESOURCE } from '../assembly/state-machines.ts';
import { isRecord } from '../is-record.ts';
import type { Invoker } from '../lambda/invoker.ts';
import { LocalAwsError, type LocalStateMachine } from '../model.ts';
import type { RuntimeOptions } from '../options.ts';
import { ExecutionHistory, type HistoryEvent } from './history.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** An error of the Step Functions API: its `__type`, e.g. ExecutionAlreadyExists. */
export class SfnApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  /** JSON text, as given to StartExecution. */
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
  history: ExecutionHistory;
}

interface Running {
  execution: Execution;
  abort(): void;
  settled: Promise<void>;
}

/**
 * A Task's TimeoutSeconds when the definition sets none. Step Functions' default is 99999999 s
 * (no limit; a Lambda task ends with its function's own timeout); the library would otherwise cut
 * every task at 60 s. Kept under what a Node.js timer can hold (about 24.8 days).
 */
const NO_TASK_TIMEOUT_SECONDS = 2_000_000;
/** ASL's default Retry IntervalSeconds. */
const DEFAULT_RETRY_INTERVAL_SECONDS = 1;
/**
 * Execution names: 1–80 characters, none of these (Step Functions' naming rules): white space,
 * brackets, wildcards, punctuation, and control characters (\p{Cc}: U+0000–001F, U+007F–009F).
 */
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]/u;

/** Thrown from a Task's local handler: the library matches Retry and Catch on its name. */
class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/**
 * Thrown from a Task's handler once the execution was aborted: neither retried nor caught (the
 * library reads these two flags), so no further function is called.
 */
class AbortedTask extends Error {
  override name = 'States.Runtime';
  readonly isRetryable = false;
  readonly isCatchable = false;
}

export interface EngineOptions extends RuntimeOptions {
  invoker: Invoker;
  region: string;
}

export class StepFunctionsEngine {
  readonly #machines = new Map<string, { local: LocalStateMachine; runnable: StateMachine }>();
  readonly #executions = new Map<string, Execution>();
  readonly #running = new Map<string, Running>();
  #stopping = false;

  /** Validates every definition (the library's ASL validator): a bad one fails the start. */
  constructor(
    machines: LocalStateMachine[],
    private readonly options: EngineOptions,
  ) {
    for (const local of machines) {
      try {
        new StateMachine(local.definition as unknown as StateMachineDefinition);
      } catch (error) {
        throw new LocalAwsError(
          `${local.logicalId}: ${(error as Error).message}`,
          local.logicalId,
          'DefinitionString',
        );
      }
      // Run as validated, with its durations scaled (fractions of seconds, which ASL's schema
      // would refuse, hence no second validation).
      const scaled = scaleDurations(local.definition, options.timeScale);
      const runnable = new StateMachine(scaled as unknown as StateMachineDefinition, {
        validationOptions: { noValidate: true },
      });
      this.#machines.set(local.arn, { local, runnable });
    }
  }

  startExecution(request: { stateMachineArn?: unknown; name?: unknown; input?: unknown }): {
    executionArn: string;
    startDate: Date;
  } {
    const machine = this.#machines.get(String(request.stateMachineArn));
    if (machine === undefined) {
      throw new SfnApiError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${String(request.stateMachineArn)}'`,
      );
    }
    if (this.#stopping) throw new SfnApiError('ServiceUnavailable', 'stopping', 503);
    const name = request.name === undefined ? randomUUID() : String(request.name);
    if (name.length < 1 || name.length > 80 || INVALID_NAME.test(name)) {
      throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
    }
    const input = request.input === undefined ? '{}' : String(request.input);
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(input);
    } catch {
      throw new SfnApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${input}'`,
      );
    }
    const { local, runnable } = machine;
    const executionArn = `arn:aws:states:${this.options.region}:${local.arn.split(':')[4]}:execution:${local.name}:${name}`;
    const existing = this.#executions.get(executionArn);
    if (existing !== undefined) {
      // A Standard workflow answers a running execution's name and input again with the same
      // execution (idempotent start); anything else is refused.
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw new SfnApiError(
        'ExecutionAlreadyExists',
        `Execution Already Exists: '${executionArn}'`,
      );
    }
    const execution: Execution = {
      executionArn,
      stateMachineArn: local.arn,
      name,
      status: 'RUNNING',
      input,
      startDate: new Date(),
      history: new ExecutionHistory(),
    };
    this.#executions.set(executionArn, execution);
    this.#run(local, runnable, execution, parsedInput);
    this.options.log('aws-local', `state machine ${local.name}: started execution ${name}`);
    return execution;
  }

  describeExecution(executionArn: unknown): Execution {
    const execution = this.#executions.get(String(executionArn));
    if (execution === undefined) {
      throw new SfnApiError(
        'ExecutionDoesNotExist',
        `Execution Does Not Exist: '${String(executionArn)}'`,
      );
    }
    return execution;
  }

  history(executionArn: unknown): HistoryEvent[] {
    return this.describeExecution(executionArn).history.events;
  }

  /** A state machine's executions, newest first (as ListExecutions orders them). */
  listExecutions(stateMachineArn: unknown, statusFilter?: unknown): Execution[] {
    if (!this.#machines.has(String(stateMachineArn))) {
      throw new SfnApiError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${String(stateMachineArn)}'`,
      );
    }
    return [...this.#executions.values()]
      .filter((e) => e.stateMachineArn === stateMachineArn)
      .filter((e) => statusFilter === undefined || e.status === statusFilter)
      .reverse();
  }

  /** Aborts a running execution; one that has ended keeps its end. */
  async stopExecution(executionArn: unknown, error?: unknown, cause?: unknown): Promise<Date> {
    const execution = this.describeExecution(executionArn);
    const running = this.#running.get(execution.executionArn);
    if (running !== undefined) {
      if (typeof error === 'string') execution.error = error;
      if (typeof cause === 'string') execution.cause = cause;
      running.abort();
      await running.settled;
    }
    return execution.stopDate ?? new Date();
  }

  /** Aborts every running execution and waits until each has settled; refuses new ones. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      [...this.#running.values()].map((running) => {
        running.abort();
        return running.settled;
      }),
    );
  }

  #run(
    local: LocalStateMachine,
    runnable: StateMachine,
    execution: Execution,
    input: unknown,
  ): void {
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    const state = { aborted: false };
    for (const [name, definition] of eachState(local.definition)) {
      if (definition.Type !== 'Task') continue;
      handlers[name] = (taskInput) =>
        this.#task(execution, name, String(definition.Resource), taskInput, state);
    }
    const run = runnable.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      context: {
        Execution: { Id: execution.executionArn, Name: execution.name },
        StateMachine: { Id: local.arn, Name: local.name },
      },
    });
    const logged = (async () => {
      for await (const event of run.eventLogs) execution.history.fromLibrary(event);
    })();
    const ended = run.result.then(
      (output) => {
        execution.status = 'SUCCEEDED';
        execution.output = JSON.stringify(output);
      },
      (error: unknown) => this.#ended(execution, error),
    );
    const running: Running = {
      execution,
      abort: () => {
        state.aborted = true;
        run.abort();
      },
      settled: Promise.all([ended, logged]).then(
        () => {
          execution.stopDate ??= new Date();
          this.#running.delete(execution.executionArn);
          this.options.log(
            'aws-local',
            `state machine ${local.name}: execution ${execution.name} ${execution.status}`,
          );
        },
        () => {},
      ),
    };
    this.#running.set(execution.executionArn, running);
  }

  #ended(execution: Execution, error: unknown): void {
    execution.stopDate = new Date();
    if (error instanceof ExecutionAbortedError) {
      execution.status = 'ABORTED';
      execution.history.add('ExecutionAborted', {
        executionAbortedEventDetails: {
          ...(execution.error === undefined ? {} : { error: execution.error }),
          ...(execution.cause === undefined ? {} : { cause: execution.cause }),
        },
      });
    } else if (error instanceof ExecutionTimeoutError) {
      execution.status = 'TIMED_OUT';
      execution.error = 'States.Timeout';
    } else {
      execution.status = 'FAILED';
      const inner = error instanceof ExecutionError ? error.cause : error;
      execution.error = inner instanceof Error ? inner.name : 'States.Runtime';
      execution.cause = inner instanceof Error ? inner.message : String(inner);
    }
  }

  /** One attempt of a Task state: an invocation through the runtime's Invoker. */
  async #task(
    execution: Execution,
    stateName: string,
    resource: string,
    input: unknown,
    state: { aborted: boolean },
  ): Promise<unknown> {
    if (state.aborted) throw new AbortedTask('the execution was stopped');
    const record = execution.history.attempt(stateName);
    const optimized = resource === LAMBDA_INVOKE_RESOURCE;
    const parameters = isRecord(input) ? input : {};
    const functionName = optimized ? String(parameters.FunctionName) : resource;
    const payload = optimized ? (parameters.Payload ?? {}) : input;
    const kind = optimized ? 'Task' : 'LambdaFunction';
    const about = optimized ? { resourceType: 'lambda', resource: 'invoke' } : {};
    const detailsKey = (event: string) =>
      `${kind[0]?.toLowerCase()}${kind.slice(1)}${event}EventDetails`;
    record(`${kind}Scheduled`, {
      [detailsKey('Scheduled')]: optimized
        ? { ...about, region: this.options.region, parameters: JSON.stringify(input) }
        : { resource, input: JSON.stringify(input) },
    });
    const fail = (error: string, cause: string): never => {
      record(`${kind}Failed`, { [detailsKey('Failed')]: { ...about, error, cause } });
      throw new TaskError(error, cause);
    };
    if (!this.options.invoker.has(functionName)) {
      fail('Lambda.ResourceNotFoundException', `Function not found: ${functionName}`);
    }
    record(`${kind}Started`, { [detailsKey('Started')]: about });
    const requestId = randomUUID();
    const result = await this.options.invoker.invoke(functionName, payload, { requestId });
    if (result.outcome === 'throttled') {
      return fail('Lambda.TooManyRequestsException', 'Rate Exceeded.');
    }
    if (result.outcome === 'error') {
      const { error, cause } = lambdaTaskError(result.error);
      return fail(error, cause);
    }
    const value: unknown = JSON.parse(result.payload);
    const output = optimized
      ? {
          ExecutedVersion: '$LATEST',
          Payload: value,
          SdkHttpMetadata: {
            AllHttpHeaders: {
              'X-Amz-Executed-Version': ['$LATEST'],
              'x-amzn-RequestId': [requestId],
            },
            HttpHeaders: { 'X-Amz-Executed-Version': '$LATEST', 'x-amzn-RequestId': requestId },
            HttpStatusCode: 200,
          },
          SdkResponseMetadata: { RequestId: requestId },
          StatusCode: 200,
        }
      : value;
    record(`${kind}Succeeded`, {
      [detailsKey('Succeeded')]: { ...about, output: JSON.stringify(output) },
    });
    return output;
  }
}

/**
 * The error a failed Lambda invocation raises in a Task, named as Step Functions names it: by the
 * `errorType` of Lambda's answer, with that answer (JSON text) as the cause. That is the handler's
 * own error name (`TitleRefused`) when it threw, and the platform's when the function crashed or
 * timed out: current runtimes answer `Runtime.ExitError` or `Sandbox.Timedout`, and that name is
 * what the task fails with. Only an answer that carries no errorType (a timeout answered with an
 * errorMessage alone, as older runtimes answer it) becomes `Lambda.Unknown`, with Step Functions'
 * own sentence as the cause: the name AWS's guide gives every crash, timeout and out-of-memory.
 * `States.TaskFailed` and `States.ALL` match them all, so a Retry meant for a crash names those,
 * never one platform error name.
 */
export function lambdaTaskError(answer: {
  errorType?: string;
  errorMessage?: string;
  trace?: string[];
}): { error: string; cause: string } {
  const { errorType, errorMessage, trace = [] } = answer;
  const document = {
    ...(errorType ? { errorType } : {}),
    ...(errorMessage === undefined ? {} : { errorMessage }),
    ...(trace.length > 0 ? { trace } : {}),
  };
  if (errorType) return { error: errorType, cause: JSON.stringify(document) };
  return {
    error: 'Lambda.Unknown',
    cause: `The cause could not be determined because Lambda did not return an error type. Returned payload: ${JSON.stringify(document)}`,
  };
}

/**
 * A copy of a definition with every duration multiplied by timeScale: Retry IntervalSeconds
 * (and MaxDelaySeconds), Wait Seconds, Task and execution TimeoutSeconds. A Wait given by a
 * Timestamp or a path is taken as it is (a point in time, or a value known only at run time).
 */
export function scaleDurations(
  definition: Record<string, unknown>,
  timeScale: number,
): Record<string, unknown> {
  const copy = structuredClone(definition);
  const scale = (seconds: unknown) => Number(seconds) * timeScale;
  if (copy.TimeoutSeconds !== undefined) copy.TimeoutSeconds = scale(copy.TimeoutSeconds);
  for (const [, state] of eachState(copy)) {
    if (Array.isArray(state.Retry)) {
      for (const retrier of state.Retry) {
        if (!isRecord(retrier)) continue;
        retrier.IntervalSeconds = scale(retrier.IntervalSeconds ?? DEFAULT_RETRY_INTERVAL_SECONDS);
        if (retrier.MaxDelaySeconds !== undefined) {
          retrier.MaxDelaySeconds = scale(retrier.MaxDelaySeconds);
        }
      }
    }
    if (state.Type === 'Wait' && state.Seconds !== undefined) state.Seconds = scale(state.Seconds);
    if (state.Type === 'Task') {
      state.TimeoutSeconds =
        state.TimeoutSeconds === undefined ? NO_TASK_TIMEOUT_SECONDS : scale(state.TimeoutSeconds);
    }
  }
  return copy;
}
