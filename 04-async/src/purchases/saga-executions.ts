/*
 * The purchase saga's executions as Step Functions keeps them, read and started through the
 * Step Functions API (@aws-sdk/client-sfn, the same on AWS and against the local runtime): an
 * execution's history as a timeline, its state transitions (what a Standard workflow is billed
 * for), a replay under a new name, and a second start under the same name. The lab's `saga` CLI
 * (cli.ts) and the stage's benchmark use them.
 *
 * The reconciler (./reconcile.ts) describes executions through stepFunctionsSagaExecutions below.
 *
 * A tool for the lab's tour and for operators, not for the page: GetExecutionHistory is throttled
 * on AWS (a token bucket per account and Region, shared by every caller), so the shop reads the
 * purchase's own record instead.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type DescribeExecutionOutput,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  type HistoryEvent,
  paginateGetExecutionHistory,
  paginateListStateMachines,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { LOGICAL_IDS } from '../../cdk/logical-ids.ts';
import type { ExecutionState, SagaExecutions } from './reconcile.ts';

/** `arn:<partition>:states:<region>:<account>:stateMachine:<name>` */
const STATE_MACHINE_ARN = /^arn:([\w-]+):states:([\w-]+):(\d+):stateMachine:([\w-]+)$/;

/** The state machine's ARN, checked; throws saying what an ARN of one looks like. */
export function parseStateMachineArn(arn: string): { arn: string; region: string } {
  const match = STATE_MACHINE_ARN.exec(arn);
  if (match === null) {
    throw new Error(
      `${arn} is not a state machine's ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)`,
    );
  }
  return { arn, region: match[2] ?? '' };
}

/**
 * The ARN of a state machine's execution by name, as Step Functions builds it: the purchase id is
 * the execution's name, so a purchase's execution is found without listing executions.
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${parseStateMachineArn(stateMachineArn).arn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/**
 * On AWS, the stack's purchase saga found by its name: a state machine CloudFormation names has
 * its logical id in its name (PurchaseSaga-…). Throws when there is none or more than one (several
 * stacks in the account): then the ARN must be given.
 */
export async function findPurchaseSaga(sfn: SFNClient): Promise<string> {
  const found: string[] = [];
  for await (const page of paginateListStateMachines({ client: sfn }, {})) {
    for (const machine of page.stateMachines ?? []) {
      if (machine.name?.includes(LOGICAL_IDS.purchaseSaga))
        found.push(machine.stateMachineArn ?? '');
    }
  }
  if (found.length !== 1) {
    throw new Error(
      `${found.length === 0 ? 'no' : found.length} state machine(s) named after ` +
        `${LOGICAL_IDS.purchaseSaga}${found.length > 1 ? ` (${found.join(', ')})` : ''}: ` +
        'pass --state-machine <arn>',
    );
  }
  return found[0] ?? '';
}

/** Every event of an execution's history, oldest first (GetExecutionHistory, page after page). */
export async function readHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory(
    { client: sfn },
    { executionArn, maxResults: 1000 },
  )) {
    events.push(...(page.events ?? []));
  }
  return events;
}

/** One line of the timeline: when, what, in which state, and the detail worth reading. */
export interface TimelineEntry {
  /** Milliseconds since the execution started. */
  elapsedMs: number;
  type: string;
  state?: string;
  /** A step's outcome, an error and its message, or the execution's input. */
  detail?: string;
}

/**
 * The history as a timeline. A Task's own events (scheduled, started, succeeded, failed) do not
 * name their state; they belong to the state entered last, as this state machine runs one state
 * at a time (no Parallel or Map states).
 */
export function timelineOf(events: HistoryEvent[]): TimelineEntry[] {
  const start = events[0]?.timestamp?.getTime() ?? 0;
  let state: string | undefined;
  return events.map((event) => {
    const type = event.type ?? 'Unknown';
    const entered = event.stateEnteredEventDetails?.name;
    if (entered !== undefined) state = entered;
    const entry: TimelineEntry = {
      elapsedMs: (event.timestamp?.getTime() ?? start) - start,
      type,
      state: type.startsWith('Execution')
        ? undefined
        : (event.stateExitedEventDetails?.name ?? state),
    };
    const detail = detailOf(event);
    return detail === undefined ? entry : { ...entry, detail };
  });
}

function detailOf(event: HistoryEvent): string | undefined {
  const failed =
    event.taskFailedEventDetails ??
    event.lambdaFunctionFailedEventDetails ??
    event.executionFailedEventDetails ??
    event.taskTimedOutEventDetails ??
    event.executionAbortedEventDetails;
  if (failed !== undefined) return errorText(failed.error, failed.cause);
  const succeeded = event.taskSucceededEventDetails?.output;
  if (succeeded !== undefined) return outcomeText(succeeded);
  const input = event.executionStartedEventDetails?.input;
  if (input !== undefined) return `input ${input}`;
  return undefined;
}

/**
 * An error and its message. A Lambda task's cause is the function's error document
 * (`{errorType, errorMessage, trace}`): its message is what a reader wants, not the JSON.
 */
function errorText(error: string | undefined, cause: string | undefined): string {
  let message = cause;
  try {
    const document: unknown = JSON.parse(cause ?? '');
    if (isRecord(document) && typeof document.errorMessage === 'string') {
      message = document.errorMessage;
    }
  } catch {
    // A plain-text cause (a Fail state's, an abort's): shown as it is.
  }
  return [error, message].filter((part) => part !== undefined && part !== '').join(': ');
}

/** A LambdaInvoke task's output: the step's answer is in its Payload (`{outcome}` for ours). */
function outcomeText(output: string): string {
  try {
    const value: unknown = JSON.parse(output);
    const payload = isRecord(value) ? value.Payload : undefined;
    if (isRecord(payload) && typeof payload.outcome === 'string') {
      return `outcome ${payload.outcome}`;
    }
  } catch {
    // Not JSON: shown as it is.
  }
  return output;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The timeline as aligned lines of text. */
export function formatTimeline(entries: TimelineEntry[]): string[] {
  const typeWidth = Math.max(...entries.map((entry) => entry.type.length), 0);
  const stateWidth = Math.max(...entries.map((entry) => entry.state?.length ?? 0), 0);
  return entries.map(({ elapsedMs, type, state, detail }) =>
    [
      `${String(Math.round(elapsedMs)).padStart(7)} ms`,
      type.padEnd(typeWidth),
      (state ?? '').padEnd(stateWidth),
      detail ?? '',
    ]
      .join('  ')
      .trimEnd(),
  );
}

/**
 * The state transitions of an execution, as a Standard workflow is billed for them: one per
 * state entered, and one more per retry of a Task (a retry shows in the history as a further
 * TaskScheduled in the same state). Step Functions' pricing: "each retry will be charged as an
 * additional state transition".
 */
export function stateTransitions(events: HistoryEvent[]): number {
  const count = (type: (name: string) => boolean) =>
    events.filter((event) => type(event.type ?? '')).length;
  const entered = count((type) => type.endsWith('StateEntered'));
  const taskAttempts = count(
    (type) => type === 'TaskScheduled' || type === 'LambdaFunctionScheduled',
  );
  const tasksEntered = count((type) => type === 'TaskStateEntered');
  return entered + (taskAttempts - tasksEntered);
}

/** Polls DescribeExecution until the execution has ended; throws after `timeoutMs`. */
export async function waitForEnd(
  sfn: SFNClient,
  executionArn: string,
  { timeoutMs = 300_000, pollMs = 250 } = {},
): Promise<DescribeExecutionOutput> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING' && execution.status !== 'PENDING_REDRIVE') return execution;
    if (Date.now() > deadline) {
      throw new Error(`${executionArn} still running after ${Math.round(timeoutMs / 1000)} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** A purchase's own execution (named by its id); throws saying so when there is none. */
export async function purchaseExecution(
  sfn: SFNClient,
  stateMachineArn: string,
  purchaseId: string,
): Promise<DescribeExecutionOutput> {
  const executionArn = executionArnOf(stateMachineArn, purchaseId);
  try {
    return await sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) {
      throw new Error(`no execution named ${purchaseId} (is it a purchase's id?): ${executionArn}`);
    }
    throw error;
  }
}

/**
 * A replay: the purchase's execution run again with the same input under a new name,
 * `<purchase id>-replay-<n>` (the first n not yet used), until it ends. Every step is idempotent
 * by the purchase id, so a replay must apply nothing the first run did not.
 */
export async function replay(
  sfn: SFNClient,
  stateMachineArn: string,
  purchaseId: string,
  wait: { timeoutMs?: number; pollMs?: number } = {},
): Promise<{ name: string; execution: DescribeExecutionOutput; history: HistoryEvent[] }> {
  const original = await purchaseExecution(sfn, stateMachineArn, purchaseId);
  for (let n = 1; ; n++) {
    const name = `${purchaseId}-replay-${n}`;
    // A name used before is skipped rather than started again: a replay still running would
    // otherwise be answered again (same name and input) instead of a new one starting.
    try {
      await sfn.send(
        new DescribeExecutionCommand({ executionArn: executionArnOf(stateMachineArn, name) }),
      );
      continue;
    } catch (error) {
      if (!(error instanceof ExecutionDoesNotExist)) throw error;
    }
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: original.input }),
    );
    if (executionArn === undefined) throw new Error(`StartExecution ${name} answered no ARN`);
    const execution = await waitForEnd(sfn, executionArn, wait);
    return { name, execution, history: await readHistory(sfn, executionArn) };
  }
}

/** What Step Functions answered a second StartExecution of a purchase's own execution. */
export type SecondStart =
  | { answer: 'refused'; error: string; message: string; execution: DescribeExecutionOutput }
  | { answer: 'same-execution'; execution: DescribeExecutionOutput };

/**
 * StartExecution again with the purchase's own name and input, as a duplicate start would:
 * refused with ExecutionAlreadyExists once the execution has ended; answered with the same
 * execution while it runs (a Standard workflow's idempotent start). Either way nothing runs twice.
 */
export async function startAgain(
  sfn: SFNClient,
  stateMachineArn: string,
  purchaseId: string,
): Promise<SecondStart> {
  const original = await purchaseExecution(sfn, stateMachineArn, purchaseId);
  try {
    await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: purchaseId, input: original.input }),
    );
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists) {
      return { answer: 'refused', error: error.name, message: error.message, execution: original };
    }
    throw error;
  }
  return {
    answer: 'same-execution',
    execution: await purchaseExecution(sfn, stateMachineArn, purchaseId),
  };
}

/** How long one DescribeExecution may take, retries included: one slow answer never stalls a run. */
const DESCRIBE_DEADLINE_MS = 3_000;

/** What the reconciler needs of an SFNClient: DescribeExecution, with a deadline. */
export interface ExecutionDescriber {
  send(
    command: DescribeExecutionCommand,
    options?: { abortSignal?: AbortSignal },
  ): Promise<DescribeExecutionCommandOutput>;
}

export function stepFunctionsSagaExecutions(
  sfn: ExecutionDescriber,
  stateMachineArn: string,
): SagaExecutions {
  return {
    async describe(purchaseId) {
      try {
        const { status, error, cause } = await sfn.send(
          new DescribeExecutionCommand({
            executionArn: executionArnOf(stateMachineArn, purchaseId),
          }),
          { abortSignal: AbortSignal.timeout(DESCRIBE_DEADLINE_MS) },
        );
        // Always present on AWS; absent, the reconciler leaves the purchase alone.
        const state: ExecutionState = { status: status ?? 'RUNNING' };
        if (error) state.error = error;
        if (cause) state.cause = cause;
        return state;
      } catch (err) {
        if (err instanceof ExecutionDoesNotExist) return undefined;
        throw err;
      }
    },
  };
}
