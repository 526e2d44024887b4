/*
 * From a cloud assembly to the LocalAwsModel every part of the runtime serves. Each resource is
 * classified first (classes.ts); any resource of no class fails the start before anything runs.
 * Then each emulated resource's properties are resolved (intrinsics.ts), only those the runtime
 * uses, and checked as AWS would check them at deploy time where the check matters locally.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { handlerFile, parseHandlerSetting } from '../lambda/handler-module.ts';
import {
  type HttpApiRoute,
  type IgnoredResource,
  LocalAwsError,
  type LocalAwsModel,
  type LocalEndpoints,
  type LocalEventSourceMapping,
  type LocalFunction,
  type LocalHttpApi,
  type LocalQueue,
  type LocalSchedule,
  type LocalSubscription,
  type LocalTopic,
  type SuppliedValues,
} from '../model.ts';
import { classify } from './classes.ts';
import type { CloudAssembly } from './cloud-assembly.ts';
import { type CfnResourceEntry, type CfnTemplate, Intrinsics, type Where } from './intrinsics.ts';
import {
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  type LocalIdentity,
  localIdentity,
} from './local-names.ts';

export interface BuildModelOptions {
  assembly: CloudAssembly;
  endpoints: LocalEndpoints;
  supplied?: SuppliedValues;
}

/** API Gateway's default (and maximum) integration timeout for HTTP APIs. */
const DEFAULT_INTEGRATION_TIMEOUT_MS = 30_000;

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
  return new ModelBuilder(
    assembly.dir,
    stack.stackName,
    stack.template,
    endpoints,
    supplied,
  ).build();
}

class ModelBuilder {
  private readonly resources: [string, CfnResourceEntry][];
  private readonly ignored = new Map<string, IgnoredResource>();
  private readonly identities = new Map<string, LocalIdentity>();
  private readonly cfn: Intrinsics;

  constructor(
    private readonly assemblyDir: string,
    private readonly stackName: string,
    template: CfnTemplate,
    private readonly endpoints: LocalEndpoints,
    private readonly supplied: SuppliedValues,
  ) {
    this.resources = Object.entries(template.Resources ?? {});
    this.cfn = new Intrinsics(
      template,
      {
        'AWS::Region': LOCAL_REGION,
        'AWS::AccountId': LOCAL_ACCOUNT_ID,
        'AWS::Partition': 'aws',
        'AWS::URLSuffix': 'amazonaws.com',
        'AWS::StackName': stackName,
        'AWS::StackId': `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:stack/${stackName}/local`,
      },
      (target, attribute, where) => this.attribute(target, attribute, where),
    );
  }

  build(): LocalAwsModel {
    this.classifyAll();
    const emulated = (type: string) =>
      this.resources.filter(([id, r]) => r.Type === type && !this.ignored.has(id));
    const functions = emulated('AWS::Lambda::Function').map(([id, r]) =>
      this.lambdaFunction(id, r),
    );
    const queues = emulated('AWS::SQS::Queue').map(([id, r]) => this.queue(id, r));
    const model: LocalAwsModel = {
      stackName: this.stackName,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT_ID,
      functions,
      httpApis: emulated('AWS::ApiGatewayV2::Api').map(([id, r]) => this.httpApi(id, r, functions)),
      queues,
      topics: emulated('AWS::SNS::Topic').map(([id, r]) => this.topic(id, r)),
      subscriptions: emulated('AWS::SNS::Subscription').map(([id, r]) =>
        this.subscription(id, r, queues),
      ),
      eventSourceMappings: emulated('AWS::Lambda::EventSourceMapping').map(([id, r]) =>
        this.eventSourceMapping(id, r, queues, functions),
      ),
      schedules: [
        ...emulated('AWS::Events::Rule').flatMap(([id, r]) => this.ruleSchedules(id, r, functions)),
        ...emulated('AWS::Scheduler::Schedule').map(([id, r]) => this.schedule(id, r, functions)),
      ],
      ignored: [...this.ignored.values()],
    };
    return model;
  }

  /** Every resource in a class, or the start fails listing each one that is in none. */
  private classifyAll(): void {
    const unknown: { logicalId: string; why: string }[] = [];
    for (const [logicalId, resource] of this.resources) {
      const found = classify(logicalId, resource);
      if (found.class === 'ignored') {
        this.ignored.set(logicalId, { logicalId, type: resource.Type, reason: found.reason });
      } else if (found.class === 'unknown') {
        unknown.push({ logicalId, why: found.why });
      }
    }
    const [first] = unknown;
    if (first !== undefined) {
      const lines = unknown.map(({ logicalId, why }) => `  ${logicalId}: ${why}`).join('\n');
      throw new LocalAwsError(
        `the local runtime cannot serve this stack; no class for:\n${lines}`,
        first.logicalId,
      );
    }
  }

  // --- references ---------------------------------------------------------------------------

  private attribute(target: string, attribute: string, where: Where): string {
    const resource = this.resources.find(([id]) => id === target)?.[1];
    if (resource === undefined) {
      throw new LocalAwsError(
        `${where.logicalId}.${where.property} refers to ${target}, which is not in the template`,
        where.logicalId,
        where.property,
      );
    }
    const ignored = this.ignored.get(target);
    if (ignored !== undefined) {
      const value = this.supplied[target]?.[attribute];
      if (value !== undefined) return value;
      throw new LocalAwsError(
        `${where.logicalId}.${where.property} refers to ${target}'s ${attribute}, but ${target} ` +
          `(${ignored.type}) is not emulated (${ignored.reason}) and the stage supplies no ` +
          `value: add { ${target}: { '${attribute}': … } } to its localAws.supplied`,
        where.logicalId,
        where.property,
      );
    }
    const value = this.identity(target, resource).attributes[attribute];
    if (value === undefined) {
      throw new LocalAwsError(
        `${where.logicalId}.${where.property} refers to ${target}'s ${attribute}, which has no local value`,
        where.logicalId,
        where.property,
      );
    }
    return value;
  }

  private identity(logicalId: string, resource: CfnResourceEntry): LocalIdentity {
    let found = this.identities.get(logicalId);
    if (found === undefined) {
      const props = resource.Properties ?? {};
      const nameProperty = NAME_PROPERTIES[resource.Type];
      const explicit = nameProperty === undefined ? undefined : props[nameProperty];
      const at = (property: string) => ({ logicalId, property });
      found = localIdentity({
        stackName: this.stackName,
        logicalId,
        type: resource.Type,
        explicitName:
          explicit === undefined ? undefined : this.cfn.string(explicit, at(nameProperty ?? '')),
        fifo: this.flag(props.FifoQueue ?? props.FifoTopic, false, at('Fifo')),
        endpoints: this.endpoints,
        stageName:
          resource.Type === 'AWS::ApiGatewayV2::Stage'
            ? this.cfn.string(props.StageName, at('StageName'))
            : undefined,
      });
      this.identities.set(logicalId, found);
    }
    return found;
  }

  // --- resources ----------------------------------------------------------------------------

  private lambdaFunction(logicalId: string, resource: CfnResourceEntry): LocalFunction {
    const props = resource.Properties ?? {};
    const at = (property: string) => ({ logicalId, property });
    const identity = this.identity(logicalId, resource);
    this.refuse(logicalId, props, {
      Layers: 'layers are not served: bundle what the function needs',
      ImageUri: 'container image functions are not served',
    });
    const runtime = this.cfn.string(props.Runtime, at('Runtime'));
    if (!runtime.startsWith('nodejs')) {
      throw new LocalAwsError(
        `function ${logicalId}: runtime ${runtime} is not served (only Node.js)`,
        logicalId,
        'Runtime',
      );
    }
    const handler = this.cfn.string(props.Handler, at('Handler'));
    const codeDir = this.codeDir(logicalId, resource);
    checkHandlerFile(logicalId, codeDir, handler);
    const variables =
      (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const environment = Object.fromEntries(
      Object.entries(variables).map(([key, value]) => [
        key,
        this.cfn.string(value, at(`Environment.Variables.${key}`)),
      ]),
    );
    const reserved = this.cfn.resolve(
      props.ReservedConcurrentExecutions,
      at('ReservedConcurrentExecutions'),
    );
    return {
      logicalId,
      name: identity.name,
      arn: identity.attributes.Arn ?? '',
      codeDir,
      handler,
      runtime,
      timeoutSeconds: this.number(props.Timeout, 3, at('Timeout')),
      memoryMb: this.number(props.MemorySize, 128, at('MemorySize')),
      environment,
      ...(reserved === undefined ? {} : { reservedConcurrency: Number(reserved) }),
    };
  }

  /** The function's asset folder in the cloud assembly, from CDK's `aws:asset:path` metadata. */
  private codeDir(logicalId: string, resource: CfnResourceEntry): string {
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') {
      const inline = (resource.Properties?.Code as { ZipFile?: unknown } | undefined)?.ZipFile;
      throw new LocalAwsError(
        inline === undefined
          ? `function ${logicalId} has no code asset in the cloud assembly (no aws:asset:path metadata: synthesize with asset metadata on)`
          : `function ${logicalId} has inline code (Code.ZipFile), which is not served: give it an asset`,
        logicalId,
        'Code',
      );
    }
    const codeDir = join(this.assemblyDir, assetPath);
    if (!existsSync(codeDir)) {
      throw new LocalAwsError(
        `function ${logicalId}: its code asset ${codeDir} is missing`,
        logicalId,
        'Code',
      );
    }
    return codeDir;
  }

  private queue(logicalId: string, resource: CfnResourceEntry): LocalQueue {
    const props = resource.Properties ?? {};
    const at = (property: string) => ({ logicalId, property });
    const identity = this.identity(logicalId, resource);
    const redrive = this.cfn.resolve(props.RedrivePolicy, at('RedrivePolicy'));
    const policy = typeof redrive === 'string' ? (JSON.parse(redrive) as unknown) : redrive;
    return {
      logicalId,
      name: identity.name,
      arn: identity.attributes.Arn ?? '',
      fifo: this.flag(props.FifoQueue, false, at('FifoQueue')),
      contentBasedDeduplication: this.flag(
        props.ContentBasedDeduplication,
        false,
        at('ContentBasedDeduplication'),
      ),
      visibilityTimeoutSeconds: this.number(props.VisibilityTimeout, 30, at('VisibilityTimeout')),
      messageRetentionSeconds: this.number(
        props.MessageRetentionPeriod,
        345_600,
        at('MessageRetentionPeriod'),
      ),
      delaySeconds: this.number(props.DelaySeconds, 0, at('DelaySeconds')),
      receiveMessageWaitTimeSeconds: this.number(
        props.ReceiveMessageWaitTimeSeconds,
        0,
        at('ReceiveMessageWaitTimeSeconds'),
      ),
      ...(isRecord(policy)
        ? {
            redrivePolicy: {
              deadLetterTargetArn: String(policy.deadLetterTargetArn),
              maxReceiveCount: Number(policy.maxReceiveCount),
            },
          }
        : {}),
    };
  }

  private topic(logicalId: string, resource: CfnResourceEntry): LocalTopic {
    const props = resource.Properties ?? {};
    const at = (property: string) => ({ logicalId, property });
    this.refuse(logicalId, props, {
      Subscription:
        'inline subscriptions are not served: use AWS::SNS::Subscription (CDK’s addSubscription)',
    });
    const identity = this.identity(logicalId, resource);
    return {
      logicalId,
      name: identity.name,
      arn: identity.attributes.Arn ?? identity.attributes.Ref ?? '',
      fifo: this.flag(props.FifoTopic, false, at('FifoTopic')),
      contentBasedDeduplication: this.flag(
        props.ContentBasedDeduplication,
        false,
        at('ContentBasedDeduplication'),
      ),
    };
  }

  private subscription(
    logicalId: string,
    resource: CfnResourceEntry,
    queues: LocalQueue[],
  ): LocalSubscription {
    const props = resource.Properties ?? {};
    const at = (property: string) => ({ logicalId, property });
    this.refuse(logicalId, props, {
      RedrivePolicy: 'a subscription’s own dead-letter queue is not emulated',
    });
    const protocol = this.cfn.string(props.Protocol, at('Protocol'));
    if (protocol !== 'sqs') {
      throw new LocalAwsError(
        `subscription ${logicalId}: protocol ${protocol} is not served (only sqs)`,
        logicalId,
        'Protocol',
      );
    }
    const endpoint = this.cfn.string(props.Endpoint, at('Endpoint'));
    if (!queues.some((q) => q.arn === endpoint)) {
      throw new LocalAwsError(
        `subscription ${logicalId}: its endpoint ${endpoint} is not a queue of this stack`,
        logicalId,
        'Endpoint',
      );
    }
    const filter = this.cfn.resolve(props.FilterPolicy, at('FilterPolicy'));
    const filterPolicy = typeof filter === 'string' ? (JSON.parse(filter) as unknown) : filter;
    const scope =
      this.cfn.resolve(props.FilterPolicyScope, at('FilterPolicyScope')) ?? 'MessageAttributes';
    if (scope !== 'MessageAttributes' && scope !== 'MessageBody') {
      throw new LocalAwsError(
        `subscription ${logicalId}: unknown FilterPolicyScope ${String(scope)}`,
        logicalId,
        'FilterPolicyScope',
      );
    }
    return {
      logicalId,
      topicArn: this.cfn.string(props.TopicArn, at('TopicArn')),
      protocol,
      endpoint,
      rawMessageDelivery: this.flag(props.RawMessageDelivery, false, at('RawMessageDelivery')),
      ...(isRecord(filterPolicy) ? { filterPolicy } : {}),
      filterPolicyScope: scope,
    };
  }

  private eventSourceMapping(
    logicalId: string,
    resource: CfnResourceEntry,
    queues: LocalQueue[],
    functions: LocalFunction[],
  ): LocalEventSourceMapping {
    const props = resource.Properties ?? {};
    const at = (property: string) => ({ logicalId, property });
    this.refuse(logicalId, props, {
      FilterCriteria: 'event filtering of a mapping is not emulated',
      DestinationConfig: 'on-failure destinations of a mapping are not emulated',
    });
    const queueArn = this.cfn.string(props.EventSourceArn, at('EventSourceArn'));
    const queue = queues.find((q) => q.arn === queueArn);
    if (queue === undefined) {
      throw new LocalAwsError(
        `event source mapping ${logicalId}: ${queueArn} is not a queue of this stack (only SQS sources are served)`,
        logicalId,
        'EventSourceArn',
      );
    }
    const fn = findFunction(
      functions,
      this.cfn.string(props.FunctionName, at('FunctionName')),
      at('FunctionName'),
    );
    const types = this.cfn.resolve(props.FunctionResponseTypes, at('FunctionResponseTypes'));
    const scaling = this.cfn.resolve(props.ScalingConfig, at('ScalingConfig'));
    const maximumConcurrency = isRecord(scaling) ? scaling.MaximumConcurrency : undefined;
    return {
      logicalId,
      queueArn,
      functionName: fn.name,
      batchSize: this.number(props.BatchSize, 10, at('BatchSize')),
      maximumBatchingWindowSeconds: this.number(
        props.MaximumBatchingWindowInSeconds,
        0,
        at('MaximumBatchingWindowInSeconds'),
      ),
      reportBatchItemFailures: Array.isArray(types) && types.includes('ReportBatchItemFailures'),
      ...(maximumConcurrency === undefined
        ? {}
        : { maximumConcurrency: Number(maximumConcurrency) }),
      enabled: this.flag(props.Enabled, true, at('Enabled')),
    };
  }

  private httpApi(
    logicalId: string,
    resource: CfnResourceEntry,
    functions: LocalFunction[],
  ): LocalHttpApi {
    const props = resource.Properties ?? {};
    const at = (property: string) => ({ logicalId, property });
    this.refuse(logicalId, props, {
      Body: 'an API imported from an OpenAPI document is not served',
      BodyS3Location: 'an API imported from an OpenAPI document is not served',
      Target: 'quick-create APIs are not served: declare routes and integrations',
      CorsConfiguration: 'CORS is not emulated',
    });
    const protocol = this.cfn.string(props.ProtocolType, at('ProtocolType'));
    if (protocol !== 'HTTP') {
      throw new LocalAwsError(
        `API ${logicalId}: protocol ${protocol} is not served (only HTTP APIs)`,
        logicalId,
        'ProtocolType',
      );
    }
    const apiId = this.identity(logicalId, resource).attributes.Ref;
    const belongs = ([, r]: [string, CfnResourceEntry], id: string) =>
      this.cfn.string(r.Properties?.ApiId, { logicalId: id, property: 'ApiId' }) === apiId;
    const ofThisApi = (type: string) =>
      this.resources.filter((entry) => entry[1].Type === type && belongs(entry, entry[0]));
    const stages = ofThisApi('AWS::ApiGatewayV2::Stage');
    const [stage, ...moreStages] = stages;
    if (stage === undefined || moreStages.length > 0) {
      throw new LocalAwsError(
        `API ${logicalId} has ${stages.length} stages; the local runtime serves an API with exactly one`,
        logicalId,
      );
    }
    return {
      logicalId,
      apiId: apiId ?? logicalId.toLowerCase(),
      stageName: this.cfn.string(stage[1].Properties?.StageName, {
        logicalId: stage[0],
        property: 'StageName',
      }),
      routes: ofThisApi('AWS::ApiGatewayV2::Route').map(([id, r]) => this.route(id, r, functions)),
      ...this.throttling(stage[0], stage[1]),
    };
  }

  private throttling(logicalId: string, stage: CfnResourceEntry): Pick<LocalHttpApi, 'throttling'> {
    const props = stage.Properties ?? {};
    this.refuse(logicalId, props, { RouteSettings: 'per-route settings are not emulated' });
    const settings = this.cfn.resolve(props.DefaultRouteSettings, {
      logicalId,
      property: 'DefaultRouteSettings',
    });
    if (!isRecord(settings)) return {};
    const { ThrottlingBurstLimit: burst, ThrottlingRateLimit: rate } = settings;
    if (burst === undefined && rate === undefined) return {};
    // An unset half keeps the account's default (5,000 burst, 10,000 requests per second).
    return { throttling: { burstLimit: Number(burst ?? 5000), rateLimit: Number(rate ?? 10_000) } };
  }

  private route(
    logicalId: string,
    resource: CfnResourceEntry,
    functions: LocalFunction[],
  ): HttpApiRoute {
    const props = resource.Properties ?? {};
    const at = (property: string) => ({ logicalId, property });
    this.refuse(logicalId, props, {
      AuthorizerId:
        'HTTP API authorizers are not emulated (the course’s services verify tokens themselves)',
    });
    const authorization =
      this.cfn.resolve(props.AuthorizationType, at('AuthorizationType')) ?? 'NONE';
    if (authorization !== 'NONE') {
      throw new LocalAwsError(
        `route ${logicalId}: AuthorizationType ${String(authorization)} is not emulated`,
        logicalId,
        'AuthorizationType',
      );
    }
    const target = this.cfn.string(props.Target, at('Target'));
    const integrationId = target.replace(/^integrations\//, '');
    const integration = this.resources.find(
      ([id, r]) => id === integrationId && r.Type === 'AWS::ApiGatewayV2::Integration',
    );
    if (integration === undefined) {
      throw new LocalAwsError(
        `route ${logicalId}: its Target ${target} is not an integration of this stack`,
        logicalId,
        'Target',
      );
    }
    const [id, r] = integration;
    const iprops = r.Properties ?? {};
    const iat = (property: string) => ({ logicalId: id, property });
    const type = this.cfn.string(iprops.IntegrationType, iat('IntegrationType'));
    if (type !== 'AWS_PROXY') {
      throw new LocalAwsError(
        `integration ${id}: type ${type} is not served (only Lambda proxy integrations)`,
        id,
        'IntegrationType',
      );
    }
    const format = this.cfn.string(
      iprops.PayloadFormatVersion ?? '2.0',
      iat('PayloadFormatVersion'),
    );
    if (format !== '2.0') {
      throw new LocalAwsError(
        `integration ${id}: payload format ${format} is not served (only 2.0)`,
        id,
        'PayloadFormatVersion',
      );
    }
    const uri = this.cfn.string(iprops.IntegrationUri, iat('IntegrationUri'));
    // A function ARN, or API Gateway's form arn:aws:apigateway:…:lambda:path/2015-03-31/functions/<arn>/invocations.
    const functionRef = uri.match(/\/functions\/(.+)\/invocations$/)?.[1] ?? uri;
    return {
      logicalId,
      routeKey: this.cfn.string(props.RouteKey, at('RouteKey')),
      functionName: findFunction(functions, functionRef, iat('IntegrationUri')).name,
      payloadFormatVersion: '2.0',
      integrationTimeoutMs: this.number(
        iprops.TimeoutInMillis,
        DEFAULT_INTEGRATION_TIMEOUT_MS,
        iat('TimeoutInMillis'),
      ),
    };
  }

  private ruleSchedules(
    logicalId: string,
    resource: CfnResourceEntry,
    functions: LocalFunction[],
  ): LocalSchedule[] {
    const props = resource.Properties ?? {};
    const at = (property: string) => ({ logicalId, property });
    if (props.ScheduleExpression === undefined) {
      throw new LocalAwsError(
        `rule ${logicalId}: only scheduled rules are emulated (event pattern rules are not)`,
        logicalId,
        'EventPattern',
      );
    }
    const expression = this.cfn.string(props.ScheduleExpression, at('ScheduleExpression'));
    const enabled = (this.cfn.resolve(props.State, at('State')) ?? 'ENABLED') === 'ENABLED';
    const targets = this.cfn.resolve(props.Targets, at('Targets'));
    return (Array.isArray(targets) ? targets : []).map((target: unknown, index) => {
      const where = at(`Targets.${index}.Arn`);
      const { Arn: targetArn, Input: input } = isRecord(target) ? target : {};
      return {
        logicalId,
        expression,
        functionName: findFunction(functions, String(targetArn), where).name,
        ...(typeof input === 'string' ? { input } : {}),
        enabled,
      };
    });
  }

  private schedule(
    logicalId: string,
    resource: CfnResourceEntry,
    functions: LocalFunction[],
  ): LocalSchedule {
    const props = resource.Properties ?? {};
    const at = (property: string) => ({ logicalId, property });
    const target = this.cfn.resolve(props.Target, at('Target'));
    const { Arn: targetArn, Input: input } = isRecord(target) ? target : {};
    return {
      logicalId,
      expression: this.cfn.string(props.ScheduleExpression, at('ScheduleExpression')),
      functionName: findFunction(functions, String(targetArn), at('Target.Arn')).name,
      ...(typeof input === 'string' ? { input } : {}),
      enabled: (this.cfn.resolve(props.State, at('State')) ?? 'ENABLED') === 'ENABLED',
    };
  }

  // --- helpers ------------------------------------------------------------------------------

  /** Properties the runtime does not emulate: set, they fail the start rather than be dropped. */
  private refuse(
    logicalId: string,
    props: Record<string, unknown>,
    why: Record<string, string>,
  ): void {
    for (const [property, reason] of Object.entries(why)) {
      if (props[property] !== undefined) {
        throw new LocalAwsError(`${logicalId}.${property}: ${reason}`, logicalId, property);
      }
    }
  }

  private number(value: unknown, fallback: number, where: Where): number {
    const resolved = this.cfn.resolve(value, where);
    if (resolved === undefined) return fallback;
    const parsed = Number(resolved);
    if (!Number.isFinite(parsed)) {
      throw new LocalAwsError(
        `${where.logicalId}.${where.property} is not a number: ${JSON.stringify(resolved)}`,
        where.logicalId,
        where.property,
      );
    }
    return parsed;
  }

  private flag(value: unknown, fallback: boolean, where: Where): boolean {
    const resolved = this.cfn.resolve(value, where);
    if (resolved === undefined) return fallback;
    return resolved === true || resolved === 'true';
  }
}

/** The property holding a resource's explicit physical name, per type. */
const NAME_PROPERTIES: Record<string, string> = {
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Events::Rule': 'Name',
  'AWS::Scheduler::Schedule': 'Name',
};

/** A function by name, ARN or `name:qualifier`, or the start fails naming the property. */
function findFunction(functions: LocalFunction[], reference: string, where: Where): LocalFunction {
  const found = functions.find(
    (f) => f.name === reference || f.arn === reference || reference.startsWith(`${f.arn}:`),
  );
  if (found === undefined) {
    throw new LocalAwsError(
      `${where.logicalId}.${where.property}: ${reference} is not an application function of this stack`,
      where.logicalId,
      where.property,
    );
  }
  return found;
}

/**
 * Lambda would fail at the first invocation (Runtime.ImportModuleError); the local start fails
 * earlier, naming the function, because a missing handler file is always a mistake in the app.
 */
function checkHandlerFile(logicalId: string, codeDir: string, handler: string): void {
  const modulePath = parseHandlerSetting(handler)?.modulePath ?? '';
  if (modulePath === '' || handlerFile(codeDir, modulePath) === undefined) {
    throw new LocalAwsError(
      `function ${logicalId}: its handler ${handler} names no file in ${codeDir} (looked for ${modulePath || '?'}.js, .mjs, .cjs)`,
      logicalId,
      'Handler',
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
