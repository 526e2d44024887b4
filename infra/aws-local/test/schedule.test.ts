import { afterEach, describe, expect, it } from 'vitest';
import { startMessaging } from '../src/messaging/index.ts';
import {
  type CronFields,
  nextCronTime,
  parseScheduleExpression,
  ScheduleExpressionError,
} from '../src/messaging/schedule.ts';
import type { LocalSchedule } from '../src/model.ts';
import {
  aFunction,
  aModel,
  eventually,
  REGION,
  StubInvoker,
  startModel,
  stopStarted,
} from './messaging-fixture.ts';

afterEach(stopStarted);

function aSchedule(expression: string, overrides: Partial<LocalSchedule> = {}): LocalSchedule {
  return {
    logicalId: 'Tick',
    arn: `arn:aws:events:${REGION}:000000000000:rule/Test-Tick`,
    source: 'aws.events',
    expression,
    functionName: 'tick',
    enabled: true,
    ...overrides,
  };
}

const cronFields = (expression: string): CronFields => {
  const parsed = parseScheduleExpression(expression);
  if (parsed.kind !== 'cron') throw new Error('not cron');
  return parsed.fields;
};
const utc = (iso: string) => Date.parse(iso);

describe('schedule expressions', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(2 hours)', 7_200_000],
    ['rate(1 day)', 86_400_000],
  ])('%s fires every %d ms', (expression, periodMs) => {
    expect(parseScheduleExpression(expression)).toEqual({ kind: 'rate', periodMs });
  });

  it.each([
    'rate(1 minutes)',
    'rate(5 minute)',
    'rate(0 minutes)',
    'rate(1 week)',
    'cron(0 12 * * * *)',
    'cron(0 12 ? * ? *)',
    'cron(0 12 * *)',
    'cron(0 12 L * ? *)',
    'cron(0 12 ? * 6#3 *)',
    'cron(61 * * * ? *)',
    'every minute',
  ])('%s is refused, as EventBridge would (or as not served locally)', (expression) => {
    expect(() => parseScheduleExpression(expression)).toThrow(ScheduleExpressionError);
  });

  it.each([
    ['cron(0/15 * * * ? *)', '2026-03-04T10:07:30Z', '2026-03-04T10:15:00Z'],
    ['cron(0 12 * * ? *)', '2026-03-04T12:00:00Z', '2026-03-05T12:00:00Z'],
    // 2026-03-07 is a Saturday: the next weekday noon is Monday the 9th.
    ['cron(0 12 ? * MON-FRI *)', '2026-03-07T08:00:00Z', '2026-03-09T12:00:00Z'],
    ['cron(30 8 1 JAN,JUL ? *)', '2026-03-04T00:00:00Z', '2026-07-01T08:30:00Z'],
    ['cron(0 0 ? * 1 2027)', '2026-03-04T00:00:00Z', '2027-01-03T00:00:00Z'],
  ])('%s after %s fires at %s (UTC)', (expression, after, next) => {
    expect(nextCronTime(cronFields(expression), utc(after))).toBe(utc(next));
  });
});

describe('a scheduled trigger', () => {
  it('invokes its function on the scaled rate with the event EventBridge sends', async () => {
    const invoker = new StubInvoker({ tick: () => undefined });
    const startedAt = Date.now();
    // rate(1 minute) at scale 0.002: every 120 ms.
    const { lines } = await startModel(
      aModel({ functions: [aFunction('tick')], schedules: [aSchedule('rate(1 minute)')] }),
      invoker,
      0.002,
    );

    await eventually(() => invoker.callsOf('tick').length >= 3);

    const [first] = invoker.callsOf('tick');
    expect((first?.startedAt ?? 0) - startedAt).toBeGreaterThanOrEqual(100);
    expect(first?.event).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: REGION,
      resources: [`arn:aws:events:${REGION}:000000000000:rule/Test-Tick`],
      detail: {},
    });
    expect(lines.some((line) => line.includes('time scale 0.002'))).toBe(true);
  });

  it('sends an EventBridge Scheduler schedule’s own default event: source aws.scheduler, its ARN, detail "{}"', async () => {
    const invoker = new StubInvoker({ tick: () => undefined });
    const arn = `arn:aws:scheduler:${REGION}:000000000000:schedule/jobs/nightly`;
    await startModel(
      aModel({
        functions: [aFunction('tick')],
        schedules: [aSchedule('rate(1 minute)', { source: 'aws.scheduler', arn })],
      }),
      invoker,
      0.002,
    );

    const call = await eventually(() => invoker.callsOf('tick')[0]);

    expect(call.event).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.scheduler',
      resources: [arn],
      detail: '{}',
    });
  });

  it("sends the target's Input instead when the template sets one", async () => {
    const invoker = new StubInvoker({ tick: () => undefined });
    await startModel(
      aModel({
        functions: [aFunction('tick')],
        schedules: [aSchedule('cron(* * * * ? *)', { input: '{"job":"leaderboard"}' })],
      }),
      invoker,
      0.002,
    );

    const call = await eventually(() => invoker.callsOf('tick')[0]);

    expect(call.event).toEqual({ job: 'leaderboard' });
  });

  it('fails the start naming a schedule whose expression EventBridge would refuse', async () => {
    const started = startMessaging(
      aModel({ functions: [aFunction('tick')], schedules: [aSchedule('rate(1 minutes)')] }),
      { invoker: new StubInvoker({ tick: () => undefined }), timeScale: 1, log: () => {} },
    );

    await expect(started).rejects.toMatchObject({
      logicalId: 'Tick',
      property: 'ScheduleExpression',
    });
  });

  it('stays silent while disabled (an enabled twin fires meanwhile)', async () => {
    const invoker = new StubInvoker({ tick: () => undefined, witness: () => undefined });
    await startModel(
      aModel({
        functions: [aFunction('tick'), aFunction('witness')],
        schedules: [
          aSchedule('rate(1 minute)', { enabled: false }),
          aSchedule('rate(1 minute)', { logicalId: 'Witness', functionName: 'witness' }),
        ],
      }),
      invoker,
      0.001,
    );

    await eventually(() => invoker.callsOf('witness').length >= 5);

    expect(invoker.callsOf('tick')).toHaveLength(0);
  });
});
