/*
 * Scheduled triggers of a function: an `AWS::Events::Rule` with a ScheduleExpression (one
 * schedule per target) or an `AWS::Scheduler::Schedule`. The local runner fires in UTC, at the
 * expression's times, with the target's Input or the event the service sends; every property
 * that would change when or with what the function is invoked, and that it does not emulate,
 * fails the start instead of being dropped.
 */
import { isRecord } from '../is-record.ts';
import { LocalAwsError, type LocalFunction, type LocalSchedule } from '../model.ts';
import type { CfnResourceEntry } from './intrinsics.ts';
import { findFunction, type TemplateReader } from './template-reader.ts';

const UTC_ZONES = new Set(['UTC', 'Etc/UTC']);

export function ruleSchedules(
  reader: TemplateReader,
  logicalId: string,
  resource: CfnResourceEntry,
  functions: LocalFunction[],
): LocalSchedule[] {
  const { cfn } = reader;
  const props = resource.Properties ?? {};
  const at = (property: string) => ({ logicalId, property });
  if (props.ScheduleExpression === undefined) {
    throw new LocalAwsError(
      `rule ${logicalId}: only scheduled rules are emulated (event pattern rules are not)`,
      logicalId,
      'EventPattern',
    );
  }
  const expression = cfn.string(props.ScheduleExpression, at('ScheduleExpression'));
  const enabled = (cfn.resolve(props.State, at('State')) ?? 'ENABLED') === 'ENABLED';
  const arn = reader.identity(logicalId, resource).attributes.Arn ?? '';
  const targets = cfn.resolve(props.Targets, at('Targets'));
  return (Array.isArray(targets) ? targets : []).map((target: unknown, index) => {
    const fields = isRecord(target) ? target : {};
    for (const property of ['InputPath', 'InputTransformer']) {
      if (fields[property] !== undefined) {
        throw new LocalAwsError(
          `${logicalId}.Targets.${index}.${property}: only a target's Input is emulated (a scheduled event has no detail to select or transform)`,
          logicalId,
          `Targets.${index}.${property}`,
        );
      }
    }
    const { Arn: targetArn, Input: input } = fields;
    return {
      logicalId,
      arn,
      source: 'aws.events' as const,
      expression,
      functionName: findFunction(functions, String(targetArn), at(`Targets.${index}.Arn`)).name,
      ...(typeof input === 'string' ? { input } : {}),
      enabled,
    };
  });
}

export function schedule(
  reader: TemplateReader,
  logicalId: string,
  resource: CfnResourceEntry,
  functions: LocalFunction[],
): LocalSchedule {
  const { cfn } = reader;
  const props = resource.Properties ?? {};
  const at = (property: string) => ({ logicalId, property });
  reader.refuse(logicalId, props, {
    StartDate: 'a start date is not emulated: the schedule fires from the local start',
    EndDate: 'an end date is not emulated: the schedule fires until the local stop',
  });
  const zone = cfn.resolve(props.ScheduleExpressionTimezone, at('ScheduleExpressionTimezone'));
  if (zone !== undefined && !UTC_ZONES.has(String(zone))) {
    throw new LocalAwsError(
      `${logicalId}.ScheduleExpressionTimezone: ${String(zone)} is not emulated (schedules fire in UTC locally)`,
      logicalId,
      'ScheduleExpressionTimezone',
    );
  }
  const window = cfn.resolve(props.FlexibleTimeWindow, at('FlexibleTimeWindow'));
  const mode = isRecord(window) ? window.Mode : undefined;
  if (mode !== undefined && mode !== 'OFF') {
    throw new LocalAwsError(
      `${logicalId}.FlexibleTimeWindow: mode ${String(mode)} is not emulated (only OFF: the schedule fires on time)`,
      logicalId,
      'FlexibleTimeWindow',
    );
  }
  const target = cfn.resolve(props.Target, at('Target'));
  const { Arn: targetArn, Input: input } = isRecord(target) ? target : {};
  return {
    logicalId,
    arn: reader.identity(logicalId, resource).attributes.Arn ?? '',
    source: 'aws.scheduler',
    expression: cfn.string(props.ScheduleExpression, at('ScheduleExpression')),
    functionName: findFunction(functions, String(targetArn), at('Target.Arn')).name,
    ...(typeof input === 'string' ? { input } : {}),
    enabled: (cfn.resolve(props.State, at('State')) ?? 'ENABLED') === 'ENABLED',
  };
}
