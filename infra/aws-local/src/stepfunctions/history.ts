/*
 * An execution's history as Step Functions' GetExecutionHistory returns it, built from two
 * sources: aws-local-stepfunctions' event log (execution, states entered and exited, map
 * iterations), which an execution yields asynchronously, and the engine's own task events
 * (TaskScheduled, TaskStarted, TaskSucceeded/TaskFailed), which happen synchronously inside an
 * invocation. The task events of one attempt are held until the log has caught up with the
 * state they belong to, so the merged history keeps Step Functions' order:
 * TaskStateEntered → TaskScheduled → TaskStarted → TaskSucceeded → TaskStateExited.
 * Only what can be mapped honestly is recorded: Step Functions has no event for a retry or a
 * catch (a retry shows as a second TaskScheduled), and no per-branch events of a Parallel state.
 */
import type { StateMachine } from 'aws-local-stepfunctions';

/** One entry of the library's event log (its type is not exported by name). */
type EventLog =
  ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export interface HistoryEvent {
  id: number;
  /** The event before it in this history (Step Functions links related events; here, the last). */
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

type Details = Record<string, unknown>;

/** One attempt of a Task: its events, held until the log reaches the state (then live). */
class TaskAttempt {
  readonly held: [string, Details][] = [];
  live = false;
  closed = false;
}

const json = (value: unknown) => JSON.stringify(value ?? null);

export class ExecutionHistory {
  readonly events: HistoryEvent[] = [];
  readonly #attempts = new Map<string, TaskAttempt[]>();
  /** States whose entry the log has shown before their attempt began (its events go live at once). */
  readonly #armed = new Map<string, number>();

  /** Appends an event now. */
  add(type: string, details: Details = {}, timestamp = new Date()): void {
    const id = this.events.length + 1;
    this.events.push({ id, previousEventId: id - 1, timestamp, type, ...details });
  }

  /** A new attempt of a Task state; its events go through `record`. */
  attempt(stateName: string): (type: string, details: Details) => void {
    const attempt = new TaskAttempt();
    const armed = this.#armed.get(stateName) ?? 0;
    if (armed > 0) {
      this.#armed.set(stateName, armed - 1);
      attempt.live = true;
    }
    this.#queue(stateName).push(attempt);
    return (type, details) => {
      if (attempt.closed) return;
      if (attempt.live) this.add(type, details);
      else attempt.held.push([type, details]);
    };
  }

  /** One event of aws-local-stepfunctions' log, in the order it yields them. */
  fromLibrary(event: EventLog): void {
    const at = new Date(event.timestamp);
    switch (event.type) {
      case 'ExecutionStarted':
        this.add(
          'ExecutionStarted',
          {
            executionStartedEventDetails: {
              input: json(event.input),
              inputDetails: { truncated: false },
            },
          },
          at,
        );
        return;
      case 'ExecutionSucceeded':
        this.add(
          'ExecutionSucceeded',
          {
            executionSucceededEventDetails: {
              output: json(event.output),
              outputDetails: { truncated: false },
            },
          },
          at,
        );
        return;
      case 'ExecutionFailed':
        this.add(
          'ExecutionFailed',
          { executionFailedEventDetails: { error: event.Error, cause: String(event.Cause) } },
          at,
        );
        return;
      case 'ExecutionTimeout':
        this.add(
          'ExecutionTimedOut',
          { executionTimedOutEventDetails: { error: 'States.Timeout' } },
          at,
        );
        return;
      case 'StateEntered':
        this.add(
          `${event.state.type}StateEntered`,
          {
            stateEnteredEventDetails: {
              name: event.state.name,
              input: json(event.state.input),
              inputDetails: { truncated: false },
            },
          },
          at,
        );
        if (event.state.type === 'Task') this.#open(event.state.name);
        return;
      case 'StateRetried':
        if (event.state.type === 'Task') this.#open(event.state.name);
        return;
      case 'StateFailed':
        if (event.state.type !== 'Task') return;
        this.#close(event.state.name);
        if (event.Error === 'States.Timeout') {
          this.add(
            'TaskTimedOut',
            { taskTimedOutEventDetails: { error: 'States.Timeout', cause: String(event.Cause) } },
            at,
          );
        }
        return;
      case 'StateExited':
        if (event.state.type === 'Task') this.#close(event.state.name);
        this.add(
          `${event.state.type}StateExited`,
          {
            stateExitedEventDetails: {
              name: event.state.name,
              output: json(event.state.output),
              outputDetails: { truncated: false },
            },
          },
          at,
        );
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const key = `${event.type[0]?.toLowerCase()}${event.type.slice(1)}EventDetails`;
        this.add(event.type, { [key]: { name: event.parentState.name, index: event.index } }, at);
        return;
      }
      default:
        // ExecutionAborted is added by the engine (with StopExecution's error and cause);
        // StateCaught and the Parallel branch events have no Step Functions counterpart.
        return;
    }
  }

  #queue(stateName: string): TaskAttempt[] {
    let queue = this.#attempts.get(stateName);
    if (queue === undefined) {
      queue = [];
      this.#attempts.set(stateName, queue);
    }
    return queue;
  }

  /** The log reached an attempt of this state: its held events go out, the rest live. */
  #open(stateName: string): void {
    const attempt = this.#queue(stateName).find((a) => !a.live && !a.closed);
    if (attempt === undefined) {
      this.#armed.set(stateName, (this.#armed.get(stateName) ?? 0) + 1);
      return;
    }
    this.#release(attempt);
  }

  /** The attempt ended (exited or failed): anything it records later is dropped. */
  #close(stateName: string): void {
    const queue = this.#queue(stateName);
    const index = queue.findIndex((a) => !a.closed);
    const attempt = queue[index];
    if (attempt === undefined) {
      // The state failed before any attempt began (e.g. its Parameters): nothing to wait for.
      const armed = this.#armed.get(stateName) ?? 0;
      if (armed > 0) this.#armed.set(stateName, armed - 1);
      return;
    }
    this.#release(attempt);
    attempt.closed = true;
    queue.splice(index, 1);
  }

  #release(attempt: TaskAttempt): void {
    for (const [type, details] of attempt.held.splice(0)) this.add(type, details);
    attempt.live = true;
  }
}
