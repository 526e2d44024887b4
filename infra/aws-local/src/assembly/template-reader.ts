/*
 * One stack template, read the way every resource family needs it: each resource classified
 * (classes.ts), its properties resolved to local values on demand (intrinsics.ts), and the checks
 * every family shares — a property the runtime does not emulate, a number, a flag, a JSON text —
 * each failing the start with a LocalAwsError that names the logical id and the property.
 */
import { isRecord } from '../is-record.ts';
import {
  type IgnoredResource,
  LocalAwsError,
  type LocalEndpoints,
  type LocalFunction,
  type SuppliedValues,
} from '../model.ts';
import { classify } from './classes.ts';
import { type CfnResourceEntry, type CfnTemplate, Intrinsics, type Where } from './intrinsics.ts';
import {
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  type LocalIdentity,
  localIdentity,
} from './local-names.ts';

/** The property holding a resource's explicit physical name, per type. */
const NAME_PROPERTIES: Record<string, string> = {
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Events::Rule': 'Name',
  'AWS::Scheduler::Schedule': 'Name',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
};

export class TemplateReader {
  readonly resources: [string, CfnResourceEntry][];
  readonly cfn: Intrinsics;
  private readonly ignored = new Map<string, IgnoredResource>();
  private readonly identities = new Map<string, LocalIdentity>();

  constructor(
    readonly assemblyDir: string,
    readonly stackName: string,
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
    this.classifyAll();
  }

  /** The resources of a type that the runtime serves (not ignored). */
  emulated(type: string): [string, CfnResourceEntry][] {
    return this.resources.filter(([id, r]) => r.Type === type && !this.ignored.has(id));
  }

  ignoredResources(): IgnoredResource[] {
    return [...this.ignored.values()];
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

  identity(logicalId: string, resource: CfnResourceEntry): LocalIdentity {
    let found = this.identities.get(logicalId);
    if (found === undefined) {
      const props = resource.Properties ?? {};
      const nameProperty = NAME_PROPERTIES[resource.Type];
      const explicit = nameProperty === undefined ? undefined : props[nameProperty];
      const at = (property: string) => ({ logicalId, property });
      const isSchedule = resource.Type === 'AWS::Scheduler::Schedule';
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
        scheduleGroup:
          isSchedule && props.GroupName !== undefined
            ? this.cfn.string(props.GroupName, at('GroupName'))
            : undefined,
      });
      this.identities.set(logicalId, found);
    }
    return found;
  }

  // --- checks every family shares -----------------------------------------------------------

  /** Properties the runtime does not emulate: set, they fail the start rather than be dropped. */
  refuse(logicalId: string, props: Record<string, unknown>, why: Record<string, string>): void {
    for (const [property, reason] of Object.entries(why)) {
      if (props[property] !== undefined) {
        throw new LocalAwsError(`${logicalId}.${property}: ${reason}`, logicalId, property);
      }
    }
  }

  number(value: unknown, fallback: number, where: Where): number {
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

  flag(value: unknown, fallback: boolean, where: Where): boolean {
    const resolved = this.cfn.resolve(value, where);
    if (resolved === undefined) return fallback;
    return resolved === true || resolved === 'true';
  }

  /**
   * A JSON-object property (a queue's RedrivePolicy, a subscription's FilterPolicy), which a
   * template may give as an object or as JSON text; undefined when unset. Text that is not a JSON
   * object fails the start here, as CloudFormation would fail the deploy.
   */
  jsonObject(value: unknown, where: Where): Record<string, unknown> | undefined {
    const resolved = this.cfn.resolve(value, where);
    if (resolved === undefined) return undefined;
    let parsed: unknown = resolved;
    if (typeof resolved === 'string') {
      try {
        parsed = JSON.parse(resolved);
      } catch (error) {
        throw new LocalAwsError(
          `${where.logicalId}.${where.property} is not valid JSON (${(error as Error).message})`,
          where.logicalId,
          where.property,
        );
      }
    }
    if (!isRecord(parsed)) {
      throw new LocalAwsError(
        `${where.logicalId}.${where.property} is not a JSON object: ${JSON.stringify(resolved)}`,
        where.logicalId,
        where.property,
      );
    }
    return parsed;
  }
}

/** A function by name, ARN or `name:qualifier`, or the start fails naming the property. */
export function findFunction(
  functions: LocalFunction[],
  reference: string,
  where: Where,
): LocalFunction {
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
