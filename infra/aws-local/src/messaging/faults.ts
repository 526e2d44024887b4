/*
 * Fault switches: the at-least-once behaviours SQS and Lambda show now and then, on demand, so a
 * test or a learner can see a consumer cope with them. Each applies to the event source
 * mappings reading one queue (set by the queue's name) or to one mapping (by its logical id) —
 * or, for an SNS outage, to the publishes to one topic (by the topic's name) — or to the
 * invocations of one function (by its logical id or name), whoever invokes it: an HTTP API, a
 * mapping, a state machine or the Invoke API.
 * Command-line form (part of the runner's flags): `queue=orders,duplicate,reorder`,
 * `mapping=OrdersConsumer,crash-before-delete=once`, `topic=events,refuse-publish=once` or
 * `function=Grant,fail=2`; several specs joined with `;`. Switches can be changed while the
 * runtime runs (`set`).
 */
import type { LogSink } from '../options.ts';

export interface FaultSwitches {
  /**
   * Probability (0–1) that a received message is delivered twice: once in a delivery whose
   * delete is lost, then again in its batch, with the same messageId (1: every message).
   */
  duplicate?: number;
  /**
   * Deliver out of order: each batch's records in reverse order, and the oldest record of a
   * batch of two or more held back once (made visible again, so it comes after newer messages).
   */
  reorder?: boolean;
  /**
   * After the handler succeeded (its effect done), kill the environment that ran the batch and
   * skip the delete: the batch comes back when its visibility timeout expires. 'once': the next
   * batch only.
   */
  crashBeforeDelete?: boolean | 'once';
  /**
   * While the handler runs, its batch's visibility timeout expires (the messages are made
   * visible again at once), so the batch is received again while the first delivery is still
   * being processed. Each message once (its redelivery is left alone); 'once': the next batch only.
   */
  expireVisibility?: boolean | 'once';
  /**
   * For a topic: Publish and PublishBatch are answered as SNS answers when it is unavailable
   * (503 ServiceUnavailable), so a publisher sees its publish fail. A probability (0–1) per SDK
   * call, or 'once': the next call only. Decided per call, not per HTTP attempt: the SDK's own
   * retries of a refused call (same `amz-sdk-invocation-id`) are refused too, as in an outage.
   */
  refusePublish?: number | 'once';
  /**
   * For a function: the invocation fails before the handler runs, as when its environment dies
   * (a Lambda error `Runtime.ExitError`): nothing the handler would do happens.
   */
  fail?: InvocationFault;
  /**
   * For a function: the handler runs to completion (its effect is done), then its answer is lost
   * and the invocation fails the same way (`Runtime.ExitError`): the caller cannot tell it from
   * `fail`, and a retry runs the handler a second time.
   */
  crashAfterEffect?: InvocationFault;
}

/** How often a function fault fires: with a probability per invocation, or the next N times. */
export type InvocationFault = { probability: number } | { times: number };

export interface FaultSpec {
  /** A queue's name or a mapping's logical id. */
  target: string;
  switches: FaultSwitches;
}

export class FaultSpecError extends Error {
  override name = 'FaultSpecError';
}

const FLAG =
  /^(duplicate|reorder|crash-before-delete|expire-visibility|refuse-publish|fail|crash-after-effect)(?:=(.+))?$/;
const FUNCTION_FAULTS = new Set(['fail', 'crash-after-effect']);
const TARGETS: Record<string, (fault: string) => boolean> = {
  queue: (fault) => fault !== 'refuse-publish' && !FUNCTION_FAULTS.has(fault),
  mapping: (fault) => fault !== 'refuse-publish' && !FUNCTION_FAULTS.has(fault),
  topic: (fault) => fault === 'refuse-publish',
  function: (fault) => FUNCTION_FAULTS.has(fault),
};

/** A probability above 0 and at most 1; absent means 1 (always). */
function probability(name: string, value: string | undefined): number {
  const parsed = value === undefined ? 1 : Number(value);
  if (!(parsed > 0 && parsed <= 1)) {
    throw new FaultSpecError(`${name}=${value}: a probability above 0, at most 1`);
  }
  return parsed;
}

function onceOrTrue(name: string, value: string | undefined): boolean | 'once' {
  if (value === undefined || value === 'true') return true;
  if (value === 'once') return 'once';
  throw new FaultSpecError(`${name}=${value}: expected ${name} or ${name}=once`);
}

/**
 * `fail`, `fail=0.3` (a probability), `fail=once` or `fail=3` (the next three invocations). A
 * whole number of 2 or more is a count; 1 is the probability "always", like a bare `fail`.
 */
function invocationFault(name: string, value: string | undefined): InvocationFault {
  if (value === 'once') return { times: 1 };
  const parsed = Number(value);
  if (value !== undefined && Number.isInteger(parsed) && parsed >= 2) return { times: parsed };
  return { probability: probability(name, value) };
}

/**
 * Parses `queue=orders,duplicate=0.5,reorder` (or `mapping=<logicalId>,…`, `topic=<name>,…`,
 * `function=<logicalId or name>,…`).
 */
export function parseFaultSpec(spec: string): FaultSpec {
  const [head, ...flags] = spec.split(',').map((part) => part.trim());
  const [, kind = '', target] = /^(queue|mapping|topic|function)=(.+)$/.exec(head ?? '') ?? [];
  if (!target) {
    throw new FaultSpecError(
      `"${spec}": start with queue=<name>, mapping=<logical id>, topic=<name> or function=<logical id or name>`,
    );
  }
  if (flags.length === 0) throw new FaultSpecError(`"${spec}": name at least one fault`);
  const switches: FaultSwitches = {};
  for (const flag of flags) {
    const match = FLAG.exec(flag);
    if (!match) {
      throw new FaultSpecError(
        `"${flag}": the faults are duplicate[=probability], reorder, crash-before-delete[=once], expire-visibility[=once] (queue or mapping), refuse-publish[=probability|once] (topic) and fail[=probability|once|N], crash-after-effect[=probability|once|N] (function)`,
      );
    }
    const [, name = '', value] = match;
    if (!TARGETS[kind]?.(name)) {
      throw new FaultSpecError(
        `"${flag}": refuse-publish applies to a topic, fail and crash-after-effect to a function, the other faults to a queue or a mapping`,
      );
    }
    if (name === 'duplicate') {
      switches.duplicate = probability(name, value);
    } else if (name === 'reorder') {
      if (value !== undefined) throw new FaultSpecError(`reorder takes no value`);
      switches.reorder = true;
    } else if (name === 'crash-before-delete') {
      switches.crashBeforeDelete = onceOrTrue(name, value);
    } else if (name === 'refuse-publish') {
      switches.refusePublish = value === 'once' ? 'once' : probability(name, value);
    } else if (name === 'fail') {
      switches.fail = invocationFault(name, value);
    } else if (name === 'crash-after-effect') {
      switches.crashAfterEffect = invocationFault(name, value);
    } else {
      switches.expireVisibility = onceOrTrue(name ?? '', value);
    }
  }
  return { target, switches };
}

/** Several specs joined with `;` (an empty string: none). */
export function parseFaultSpecs(specs: string): FaultSpec[] {
  return specs
    .split(';')
    .map((spec) => spec.trim())
    .filter((spec) => spec !== '')
    .map(parseFaultSpec);
}

function describe(switches: FaultSwitches): string {
  const parts = Object.entries(switches)
    .filter(([, value]) => value !== undefined && value !== false)
    .map(([name, value]) => {
      if (value === true) return name;
      if (typeof value !== 'object') return `${name}=${value}`;
      return 'times' in value ? `${name} × ${value.times}` : `${name}=${value.probability}`;
    });
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** How many SDK calls' refuse-publish decisions are remembered (for their retries). */
const REMEMBERED_CALLS = 1_000;

/** The switches in force, by target; every change is logged. */
export class Faults {
  readonly #switches = new Map<string, FaultSwitches>();
  /** refuse-publish's decision per SDK call (amz-sdk-invocation-id), so its retries share it. */
  readonly #publishDecisions = new Map<string, boolean>();

  constructor(private readonly log: LogSink) {}

  /** Replaces the switches of a queue (by name) or a mapping (by logical id). */
  set(target: string, switches: FaultSwitches): void {
    this.#switches.set(target, { ...switches });
    this.log('aws-local', `fault switches for ${target}: ${describe(switches)}`);
  }

  /** The switches for a mapping: its own over its queue's. */
  for(mappingLogicalId: string, queueName: string): FaultSwitches {
    return { ...this.#switches.get(queueName), ...this.#switches.get(mappingLogicalId) };
  }

  /** Turns off a 'once' switch after it fired (on whichever target holds it). */
  spend(
    mappingLogicalId: string,
    queueName: string,
    name: 'crashBeforeDelete' | 'expireVisibility',
  ): void {
    // The switch in force is the mapping's when it sets one, else the queue's (as in for()).
    for (const target of [mappingLogicalId, queueName]) {
      const switches = this.#switches.get(target);
      if (switches?.[name] === undefined) continue;
      if (switches[name] === 'once') {
        switches[name] = false;
        this.log('aws-local', `fault ${name} for ${target} fired once, now off`);
      }
      return;
    }
  }

  /**
   * Whether an invocation of this function (its logical id or name holds the switch) meets a
   * fault now: `fail` is asked before the handler runs, `crashAfterEffect` after it succeeded.
   * A counted fault is spent by the invocation it fires on.
   */
  firesOn(functionIds: string[], name: 'fail' | 'crashAfterEffect'): boolean {
    for (const target of functionIds) {
      const switches = this.#switches.get(target);
      const fault = switches?.[name];
      if (switches === undefined || fault === undefined) continue;
      if ('probability' in fault) return Math.random() < fault.probability;
      if (fault.times <= 0) return false;
      const remaining = fault.times - 1;
      switches[name] = { times: remaining };
      if (remaining === 0) {
        delete switches[name];
        this.log('aws-local', `fault ${name} for ${target} fired its last time, now off`);
      }
      return true;
    }
    return false;
  }

  /**
   * Whether a Publish or PublishBatch to this topic is refused now (refuse-publish). `call` is the
   * SDK call's invocation id: every attempt of one call gets the same answer.
   */
  refusesPublish(topicName: string, call: string | undefined): boolean {
    const remembered = call === undefined ? undefined : this.#publishDecisions.get(call);
    if (remembered !== undefined) return remembered;
    const switches = this.#switches.get(topicName);
    const setting = switches?.refusePublish;
    let refuse = false;
    if (setting === 'once') {
      refuse = true;
      delete switches?.refusePublish;
      this.log('aws-local', `fault refusePublish for ${topicName} fired once, now off`);
    } else if (typeof setting === 'number') {
      refuse = Math.random() < setting;
    }
    if (call !== undefined) {
      this.#publishDecisions.set(call, refuse);
      if (this.#publishDecisions.size > REMEMBERED_CALLS) {
        const oldest = this.#publishDecisions.keys().next().value;
        if (oldest !== undefined) this.#publishDecisions.delete(oldest);
      }
    }
    return refuse;
  }
}
