/*
 * The local stand-ins for the names, ARNs and URLs AWS would generate at deploy time, and what
 * each emulated resource's `Ref` and `Fn::GetAtt` attributes resolve to. Account and region are
 * fauxqs's (000000000000, us-east-1), so the ARNs the template resolves to are the ones fauxqs
 * answers with.
 */
import { FAUXQS_ACCOUNT_ID, queueArnFor, queueUrlFor, topicArnFor } from '../messaging/names.ts';
import type { LocalEndpoints } from '../model.ts';

export const LOCAL_ACCOUNT_ID = FAUXQS_ACCOUNT_ID;
/** fauxqs's default region; the SDK clients of every process and function are given it. */
export const LOCAL_REGION = 'us-east-1';

function arn(service: string, resource: string): string {
  return `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${resource}`;
}

/** A resource's local identity: its name, and its `Ref` / `Fn::GetAtt` values by attribute. */
export interface LocalIdentity {
  name: string;
  attributes: Record<string, string>;
}

export interface NamingInput {
  stackName: string;
  logicalId: string;
  type: string;
  /** The name the template gives (QueueName, FunctionName…), already resolved, if any. */
  explicitName: string | undefined;
  fifo: boolean;
  endpoints: LocalEndpoints;
  /** For a route/integration/stage/mapping/subscription: the values it needs from elsewhere. */
  stageName?: string;
  /** For a Scheduler schedule: its GroupName, when the template sets one. */
  scheduleGroup?: string;
}

/** `<stack>-<logicalId>` stands in for the physical name CloudFormation would generate. */
function generatedName({ stackName, logicalId, explicitName, fifo, type }: NamingInput): string {
  if (explicitName !== undefined) return explicitName;
  if (type === 'AWS::S3::Bucket') return generatedBucketName(stackName, logicalId);
  return `${stackName}-${logicalId}${fifo ? '.fifo' : ''}`;
}

/**
 * A bucket name S3 accepts: 3–63 characters of lower-case letters, digits, dots and hyphens,
 * starting and ending with a letter or digit. CloudFormation lower-cases the names it generates
 * for buckets too (`<stack>-<logicalid>-<random>`); a stack name is already letters, digits and
 * hyphens.
 */
export function generatedBucketName(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}`
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '-')
    .slice(0, 63)
    .replace(/[.-]+$/, '');
}

export function localIdentity(input: NamingInput): LocalIdentity {
  const name = generatedName(input);
  const { endpoints, logicalId } = input;
  switch (input.type) {
    case 'AWS::SQS::Queue': {
      const url = queueUrlFor(endpoints.messaging, LOCAL_ACCOUNT_ID, name);
      const queueArn = queueArnFor(LOCAL_REGION, LOCAL_ACCOUNT_ID, name);
      return { name, attributes: { Ref: url, QueueUrl: url, Arn: queueArn, QueueName: name } };
    }
    case 'AWS::SNS::Topic': {
      const topicArn = topicArnFor(LOCAL_REGION, LOCAL_ACCOUNT_ID, name);
      return { name, attributes: { Ref: topicArn, TopicArn: topicArn, TopicName: name } };
    }
    case 'AWS::Lambda::Function':
      return { name, attributes: { Ref: name, Arn: arn('lambda', `function:${name}`) } };
    case 'AWS::ApiGatewayV2::Api': {
      const apiId = logicalId.toLowerCase();
      const endpoint = endpoints.httpApis[logicalId] ?? '';
      return { name, attributes: { Ref: apiId, ApiId: apiId, ApiEndpoint: endpoint } };
    }
    case 'AWS::ApiGatewayV2::Stage':
      return { name, attributes: { Ref: input.stageName ?? '$default' } };
    case 'AWS::S3::Bucket':
      // Only what has a local meaning: DomainName, RegionalDomainName and WebsiteURL name AWS's
      // hosts, which a local process must not call, so a reference to them fails the start.
      return { name, attributes: { Ref: name, Arn: `arn:aws:s3:::${name}` } };
    case 'AWS::StepFunctions::StateMachine': {
      const stateMachineArn = arn('states', `stateMachine:${name}`);
      return { name, attributes: { Ref: stateMachineArn, Arn: stateMachineArn, Name: name } };
    }
    case 'AWS::Events::Rule':
      return { name, attributes: { Ref: name, Arn: arn('events', `rule/${name}`) } };
    case 'AWS::Scheduler::Schedule':
      return {
        name,
        attributes: {
          Ref: name,
          Arn: arn('scheduler', `schedule/${input.scheduleGroup ?? 'default'}/${name}`),
        },
      };
    default:
      // Integrations, routes, mappings, subscriptions: their Ref is only ever used to link them
      // inside the template (a route's Target is "integrations/<Ref>"), so the logical id serves.
      return { name, attributes: { Ref: logicalId } };
  }
}
