/*
 * The messaging part of the local AWS: fauxqs serving the app's queues, topics and
 * subscriptions; the SQS → Lambda event source mappings; the scheduled triggers; and the fault
 * switches. Two ways to start it: `startMessaging(model, …)` when the port is known before the
 * model is built (its queue URLs and ARNs come from names.ts), or `openMessagingServer({ port:
 * 0 })` first — its endpoint then resolves the model's references — and `serveMessaging` next.
 */
import type { Invoker } from '../lambda/invoker.ts';
import { LocalAwsError, type LocalAwsModel } from '../model.ts';
import type { RuntimeOptions } from '../options.ts';
import { Faults } from './faults.ts';
import { EventSourcePoller, type MappingTarget, validateMapping } from './mapping.ts';
import { queueUrlFor } from './names.ts';
import { createResources } from './resources.ts';
import { ScheduleRunner, validateSchedule } from './schedule.ts';
import { type MessagingServer, openMessagingServer } from './server.ts';

export { settleBatch } from './batch-response.ts';
export {
  type FaultSpec,
  type FaultSwitches,
  Faults,
  type InvocationFault,
  parseFaultSpec,
  parseFaultSpecs,
} from './faults.ts';
export { DEFAULT_MAXIMUM_CONCURRENCY } from './mapping.ts';
export { FAUXQS_ACCOUNT_ID, nameFromArn, queueArnFor, queueUrlFor, topicArnFor } from './names.ts';
export { parseScheduleExpression, scheduledEvent } from './schedule.ts';
export { type MessagingServer, openMessagingServer } from './server.ts';
export { toSqsRecord } from './sqs-event.ts';

export interface MessagingOptions extends RuntimeOptions {
  invoker: Invoker;
  /** The runtime's one registry of fault switches (its functions' too); a new one if omitted. */
  faults?: Faults;
}

export interface Messaging {
  /** SQS and SNS, e.g. http://127.0.0.1:4566 (AWS_ENDPOINT_URL_SQS and _SNS). */
  readonly endpoint: string;
  readonly server: MessagingServer;
  /** The fault switches, by queue name, mapping logical id, topic name or function. */
  readonly faults: Faults;
  /** Stops the schedules and the mappings; resolves once their invocations in flight are settled. */
  stopTriggers(): Promise<void>;
  /** stopTriggers(), then fauxqs. */
  stop(): Promise<void>;
}

function mappingTargets(model: LocalAwsModel, endpoint: string, invoker: Invoker): MappingTarget[] {
  return model.eventSourceMappings.map((mapping) => {
    const queue = model.queues.find((candidate) => candidate.arn === mapping.queueArn);
    if (!queue) {
      throw new LocalAwsError(
        `Event source mapping ${mapping.logicalId}: ${mapping.queueArn} is not a queue of this app`,
        mapping.logicalId,
        'EventSourceArn',
      );
    }
    const fn = model.functions.find((candidate) => candidate.name === mapping.functionName);
    if (!fn || !invoker.has(fn.name)) {
      throw new LocalAwsError(
        `Event source mapping ${mapping.logicalId}: function ${mapping.functionName} is not served`,
        mapping.logicalId,
        'FunctionName',
      );
    }
    const target = {
      mapping,
      queue,
      fn,
      queueUrl: queueUrlFor(endpoint, model.accountId, queue.name),
      region: model.region,
    };
    validateMapping(target);
    return target;
  });
}

export async function serveMessaging(
  server: MessagingServer,
  model: LocalAwsModel,
  options: MessagingOptions,
): Promise<Messaging> {
  const { invoker } = options;
  // Everything is checked before anything is created: a bad template starts nothing.
  const targets = mappingTargets(model, server.endpoint, invoker);
  for (const schedule of model.schedules) {
    validateSchedule(schedule);
    if (!invoker.has(schedule.functionName)) {
      throw new LocalAwsError(
        `Schedule ${schedule.logicalId}: function ${schedule.functionName} is not served`,
        schedule.logicalId,
        'Targets',
      );
    }
  }
  if (options.timeScale !== 1) {
    options.log(
      'aws-local',
      `messaging time scale ${options.timeScale}: visibility timeouts, batching windows and schedules run ${1 / options.timeScale}× as fast`,
    );
  }
  await createResources(model, server, options);

  const faults = options.faults ?? new Faults(options.log);
  server.setPublishGate((topicName, call) => {
    const refused = faults.refusesPublish(topicName, call);
    if (refused) {
      options.log(
        'aws-local',
        `refused a publish to ${topicName}: 503 ServiceUnavailable (fault refuse-publish)`,
      );
    }
    return refused;
  });
  const { sqs } = server.client(model.region);
  const pollers = targets
    .filter((target) => target.mapping.enabled)
    .map((target) => new EventSourcePoller(target, sqs, invoker, faults, options));
  const runners = model.schedules
    .filter((schedule) => schedule.enabled)
    .map(
      (schedule) =>
        new ScheduleRunner(schedule, {
          account: model.accountId,
          region: model.region,
          invoker,
          options,
        }),
    );
  for (const poller of pollers) poller.start();
  for (const runner of runners) runner.start();

  const stopTriggers = async () => {
    await Promise.all([...runners.map((r) => r.stop()), ...pollers.map((p) => p.stop())]);
  };
  return {
    endpoint: server.endpoint,
    server,
    faults,
    stopTriggers,
    async stop() {
      await stopTriggers();
      await server.close();
    },
  };
}

export async function startMessaging(
  model: LocalAwsModel,
  options: MessagingOptions & { port?: number },
): Promise<Messaging> {
  const server = await openMessagingServer({ port: options.port ?? 0 });
  try {
    return await serveMessaging(server, model, options);
  } catch (error) {
    await server.close();
    throw error;
  }
}
