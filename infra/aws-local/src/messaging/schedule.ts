/*
 * Scheduled triggers: an EventBridge rule's or an EventBridge Scheduler schedule's `rate(…)` or
 * `cron(…)` expression invoking a function, as EventBridge does — asynchronously, with the
 * "Scheduled Event" it sends (or the target's Input). Times run on a virtual clock that starts at
 * the real start and runs 1/timeScale times as fast, so `rate(5 minutes)` at a scale of 0.01
 * fires every 3 s and a cron expression still fires on its (virtual) minute. Cron is evaluated in
 * UTC, as EventBridge rules are (a schedule in another time zone is refused when the model is
 * built); the `L`, `W` and `#` forms are refused at start rather than misread.
 */
import { randomUUID } from 'node:crypto';
import type { Invoker } from '../lambda/invoker.ts';
import { LocalAwsError, type LocalSchedule } from '../model.ts';
import type { RuntimeOptions } from '../options.ts';

const MINUTE_MS = 60_000;

export type ScheduleExpression =
  | { kind: 'rate'; periodMs: number }
  | { kind: 'cron'; fields: CronFields };

/** Each field the values it allows, or undefined for any (`*`, `?`). */
export interface CronFields {
  minutes?: Set<number>;
  hours?: Set<number>;
  daysOfMonth?: Set<number>;
  months?: Set<number>;
  /** 1 = Sunday … 7 = Saturday, as EventBridge counts. */
  daysOfWeek?: Set<number>;
  years?: Set<number>;
}

export class ScheduleExpressionError extends Error {
  override name = 'ScheduleExpressionError';
}

const RATE_UNITS: Record<string, number> = {
  minute: MINUTE_MS,
  hour: 60 * MINUTE_MS,
  day: 1440 * MINUTE_MS,
};
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function parseRate(value: number, unit: string): ScheduleExpression {
  // EventBridge: "rate(1 minute)", "rate(5 minutes)" — singular exactly when the value is 1.
  const singular = unit.replace(/s$/, '');
  const period = RATE_UNITS[singular];
  if (period === undefined || value < 1 || (value === 1) !== (singular === unit)) {
    throw new ScheduleExpressionError(
      `rate(${value} ${unit}): expected a positive whole number and minute(s), hour(s) or day(s), singular only for 1`,
    );
  }
  return { kind: 'rate', periodMs: value * period };
}

function parseField(
  text: string,
  name: string,
  [min, max]: [number, number],
  names: string[] = [],
  nameBase = 1,
): Set<number> | undefined {
  if (text === '*' || text === '?') return undefined;
  const withoutNames = text
    .toUpperCase()
    .replace(/[A-Z]{3}/g, (word) => (names.includes(word) ? '' : word));
  if (/[LW#]/.test(withoutNames)) {
    throw new ScheduleExpressionError(
      `${name} "${text}": the L, W and # forms are not served locally`,
    );
  }
  const value = (token: string): number => {
    const index = names.indexOf(token.toUpperCase());
    const number = index >= 0 ? index + nameBase : Number(token);
    if (!Number.isInteger(number) || number < min || number > max) {
      throw new ScheduleExpressionError(`${name} "${text}": ${token} is outside ${min}–${max}`);
    }
    return number;
  };
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) {
      throw new ScheduleExpressionError(
        `${name} "${text}": the increment must be a positive whole number`,
      );
    }
    const [startText = '', endText] = range.split('-');
    const start = range === '*' ? min : value(startText);
    const end =
      endText !== undefined
        ? value(endText)
        : range === '*' || stepText !== undefined
          ? max
          : start;
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return values;
}

function parseCron(body: string): ScheduleExpression {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new ScheduleExpressionError(
      `cron(${body}): expected 6 fields (minutes hours day-of-month month day-of-week year)`,
    );
  }
  const [minutes, hours, daysOfMonth, months, daysOfWeek, years] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if ((daysOfMonth === '?') === (daysOfWeek === '?')) {
    throw new ScheduleExpressionError(
      `cron(${body}): exactly one of day-of-month and day-of-week must be ?`,
    );
  }
  return {
    kind: 'cron',
    fields: {
      minutes: parseField(minutes, 'minutes', [0, 59]),
      hours: parseField(hours, 'hours', [0, 23]),
      daysOfMonth: parseField(daysOfMonth, 'day-of-month', [1, 31]),
      months: parseField(months, 'month', [1, 12], MONTHS),
      daysOfWeek: parseField(daysOfWeek, 'day-of-week', [1, 7], DAYS),
      years: parseField(years, 'year', [1970, 2199]),
    },
  };
}

export function parseScheduleExpression(expression: string): ScheduleExpression {
  const rate = /^rate\((\d+)\s+([a-z]+)\)$/.exec(expression.trim());
  if (rate) return parseRate(Number(rate[1]), rate[2] ?? '');
  const cron = /^cron\((.+)\)$/.exec(expression.trim());
  if (cron) return parseCron(cron[1] ?? '');
  throw new ScheduleExpressionError(`"${expression}": expected rate(…) or cron(…)`);
}

const allows = (set: Set<number> | undefined, value: number) => set === undefined || set.has(value);

/** The first minute strictly after `afterMs` (UTC) that the cron fields allow, if any within 5 years. */
export function nextCronTime(fields: CronFields, afterMs: number): number | undefined {
  const first = new Date(Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
  const day = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate()));
  for (let d = 0; d < 5 * 366; d++, day.setUTCDate(day.getUTCDate() + 1)) {
    if (
      !allows(fields.years, day.getUTCFullYear()) ||
      !allows(fields.months, day.getUTCMonth() + 1) ||
      !allows(fields.daysOfMonth, day.getUTCDate()) ||
      !allows(fields.daysOfWeek, day.getUTCDay() + 1)
    ) {
      continue;
    }
    for (let hour = 0; hour < 24; hour++) {
      if (!allows(fields.hours, hour)) continue;
      for (let minute = 0; minute < 60; minute++) {
        const time = day.getTime() + hour * 60 * MINUTE_MS + minute * MINUTE_MS;
        if (time >= first.getTime() && allows(fields.minutes, minute)) return time;
      }
    }
  }
  return undefined;
}

/**
 * The event a schedule sends its target when no Input is set. An EventBridge rule sends a
 * "Scheduled Event" from aws.events with an empty `detail` object and the rule's ARN. For
 * EventBridge Scheduler, AWS's API reference says only "a default notification"; the one it
 * sends is the same event from aws.scheduler, with the schedule's ARN and `detail` the JSON text
 * "{}" rather than an object (AWS's Powertools parser was changed to accept exactly that).
 */
export function scheduledEvent(input: {
  account: string;
  region: string;
  source: LocalSchedule['source'];
  arn: string;
  timeMs: number;
}): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: input.source,
    account: input.account,
    time: new Date(input.timeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: input.region,
    resources: [input.arn],
    detail: input.source === 'aws.scheduler' ? '{}' : {},
  };
}

export interface ScheduleContext {
  account: string;
  region: string;
  invoker: Invoker;
  options: RuntimeOptions;
}

/** Refuses an expression EventBridge would refuse, or one not served locally, naming the schedule. */
export function validateSchedule(schedule: LocalSchedule): ScheduleExpression {
  if (schedule.input !== undefined) {
    try {
      JSON.parse(schedule.input);
    } catch {
      throw new LocalAwsError(
        `Schedule ${schedule.logicalId}: its target's Input is not JSON`,
        schedule.logicalId,
        'Input',
      );
    }
  }
  try {
    return parseScheduleExpression(schedule.expression);
  } catch (error) {
    throw new LocalAwsError(
      `Schedule ${schedule.logicalId}: ${(error as Error).message}`,
      schedule.logicalId,
      'ScheduleExpression',
    );
  }
}

export class ScheduleRunner {
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #expression: ScheduleExpression;
  readonly #realStart = Date.now();
  /** Virtual time of the last fire (initially the start). */
  #last = this.#realStart;

  constructor(
    private readonly schedule: LocalSchedule,
    private readonly context: ScheduleContext,
  ) {
    this.#expression = validateSchedule(schedule);
  }

  #virtualNow(): number {
    return this.#realStart + (Date.now() - this.#realStart) / this.context.options.timeScale;
  }

  start(): void {
    this.context.options.log(
      this.schedule.logicalId,
      `${this.schedule.expression} invokes ${this.schedule.functionName}`,
    );
    this.#arm();
  }

  #arm(): void {
    if (this.#stopped) return;
    const next =
      this.#expression.kind === 'rate'
        ? this.#last + this.#expression.periodMs
        : nextCronTime(this.#expression.fields, this.#last);
    if (next === undefined) return;
    const delay = Math.max(0, (next - this.#virtualNow()) * this.context.options.timeScale);
    // setTimeout takes at most ~24.8 days; a longer wait re-arms on the way.
    this.#timer = setTimeout(
      () => {
        if (this.#virtualNow() + 1 < next) return this.#arm();
        this.#last = next;
        this.#fire(next);
        this.#arm();
      },
      Math.min(delay, 2 ** 31 - 1),
    );
  }

  #fire(timeMs: number): void {
    const { invoker, options, account, region } = this.context;
    const { source, arn } = this.schedule;
    const event =
      this.schedule.input !== undefined
        ? JSON.parse(this.schedule.input)
        : scheduledEvent({ account, region, source, arn, timeMs });
    // EventBridge invokes asynchronously: a fire does not wait for the previous one.
    const invocation = invoker
      .invoke(this.schedule.functionName, event, { queue: true })
      .then((result) => {
        if (result.outcome !== 'success') {
          options.log(
            this.schedule.logicalId,
            `invocation failed: ${result.outcome === 'error' ? result.error.errorMessage : 'throttled'}`,
          );
        }
      });
    this.#inFlight.add(invocation);
    void invocation.finally(() => this.#inFlight.delete(invocation));
  }

  /** Stops firing; resolves once the invocations in flight have ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await Promise.all(this.#inFlight);
  }
}
