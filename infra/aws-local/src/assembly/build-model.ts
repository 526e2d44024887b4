/*
 * From a cloud assembly to the LocalAwsModel every part of the runtime serves. Each resource is
 * classified first (classes.ts); any resource of no class fails the start before anything runs.
 * Then each emulated resource's properties are resolved (intrinsics.ts), only those the runtime
 * uses, and checked as AWS would check them at deploy time where the check matters locally —
 * one file per family: functions, HTTP APIs, messaging, schedules, storage, state machines.
 */
import {
  LocalAwsError,
  type LocalAwsModel,
  type LocalEndpoints,
  type SuppliedValues,
} from '../model.ts';
import type { CloudAssembly } from './cloud-assembly.ts';
import { lambdaFunction } from './functions.ts';
import { httpApi } from './http-apis.ts';
import type { CfnResourceEntry } from './intrinsics.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './local-names.ts';
import { eventSourceMapping, queue, subscription, topic } from './messaging.ts';
import { ruleSchedules, schedule } from './schedules.ts';
import { stateMachine } from './state-machines.ts';
import { bucket } from './storage.ts';
import { TemplateReader } from './template-reader.ts';

export interface BuildModelOptions {
  assembly: CloudAssembly;
  endpoints: LocalEndpoints;
  supplied?: SuppliedValues;
}

export function buildModel({
  assembly,
  endpoints,
  supplied = {},
}: BuildModelOptions): LocalAwsModel {
  const [stack, ...others] = assembly.stacks;
  if (stack === undefined) throw new LocalAwsError(`${assembly.dir} holds no stack`);
  if (others.length > 0) {
    const names = assembly.stacks.map((s) => s.stackName).join(', ');
    throw new LocalAwsError(
      `the local runtime serves one stack per stage; ${assembly.dir} holds ${names}`,
    );
  }
  const reader = new TemplateReader(
    assembly.dir,
    stack.stackName,
    stack.template,
    endpoints,
    supplied,
  );
  const each = <T>(type: string, read: (logicalId: string, resource: CfnResourceEntry) => T) =>
    reader.emulated(type).map(([id, r]) => read(id, r));
  const functions = each('AWS::Lambda::Function', (id, r) => lambdaFunction(reader, id, r));
  const queues = each('AWS::SQS::Queue', (id, r) => queue(reader, id, r));
  return {
    stackName: stack.stackName,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    functions,
    httpApis: each('AWS::ApiGatewayV2::Api', (id, r) => httpApi(reader, id, r, functions)),
    queues,
    topics: each('AWS::SNS::Topic', (id, r) => topic(reader, id, r)),
    subscriptions: each('AWS::SNS::Subscription', (id, r) => subscription(reader, id, r, queues)),
    eventSourceMappings: each('AWS::Lambda::EventSourceMapping', (id, r) =>
      eventSourceMapping(reader, id, r, queues, functions),
    ),
    schedules: [
      ...each('AWS::Events::Rule', (id, r) => ruleSchedules(reader, id, r, functions)).flat(),
      ...each('AWS::Scheduler::Schedule', (id, r) => schedule(reader, id, r, functions)),
    ],
    buckets: each('AWS::S3::Bucket', (id, r) => bucket(reader, id, r)),
    stateMachines: each('AWS::StepFunctions::StateMachine', (id, r) =>
      stateMachine(reader, id, r, functions),
    ),
    ignored: reader.ignoredResources(),
  };
}
