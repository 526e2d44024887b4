/*
 * Every resource of a template falls in one of three declared classes:
 * - emulated: the types the runtime serves (EMULATED_TYPES, read by build-model.ts);
 * - ignored, with a reason: what a laptop does not need to run the stage (IGNORED_TYPES, and CDK's
 *   own helper functions, recognised by their well-known construct ids);
 * - supplied by the stage: an ignored resource whose attributes the stage gives (SuppliedValues),
 *   e.g. a database endpoint that is the embedded Postgres.
 * Anything else fails the start, naming the resource: a stage that half runs teaches nothing.
 */
import {
  APPLICATION_FUNCTION_METADATA,
  APPLICATION_STATE_MACHINE_METADATA,
  DEPLOYMENT_FUNCTION_METADATA,
} from '../metadata.ts';
import type { CfnResourceEntry } from './intrinsics.ts';

export const EMULATED_TYPES = new Set([
  'AWS::Lambda::Function',
  'AWS::Lambda::EventSourceMapping',
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Stage',
  'AWS::SQS::Queue',
  'AWS::SNS::Topic',
  'AWS::SNS::Subscription',
  // Only rules and schedules that invoke a function on a schedule; build-model.ts refuses others.
  'AWS::Events::Rule',
  'AWS::Scheduler::Schedule',
  // Its objects; the bucket's own settings (versioning, lifecycle…) are logged as ignored.
  'AWS::S3::Bucket',
  // Only the application's (marked); CDK's own waiters are ignored, any other fails the start.
  'AWS::StepFunctions::StateMachine',
]);

const NETWORK = 'networking: local processes talk over 127.0.0.1; no VPC is emulated';
const IAM = 'IAM: no permission is checked locally';
const RESOURCE_POLICY = 'resource policy: no permission is checked locally';
const DATABASE = 'database: the stage runs its own (embedded Postgres); supply what refers to it';
const CONTAINERS = 'containers run as the stage’s own processes';
const CDN = 'CDN: the stage’s public process serves the site';

/** Resource types left out on purpose, each with the reason logged at start. */
export const IGNORED_TYPES: Record<string, string> = {
  'AWS::EC2::VPC': NETWORK,
  'AWS::EC2::Subnet': NETWORK,
  'AWS::EC2::RouteTable': NETWORK,
  'AWS::EC2::SubnetRouteTableAssociation': NETWORK,
  'AWS::EC2::Route': NETWORK,
  'AWS::EC2::InternetGateway': NETWORK,
  'AWS::EC2::VPCGatewayAttachment': NETWORK,
  'AWS::EC2::SecurityGroup': NETWORK,
  'AWS::EC2::SecurityGroupIngress': NETWORK,
  'AWS::EC2::SecurityGroupEgress': NETWORK,
  'AWS::EC2::VPCEndpoint': NETWORK,
  'AWS::EC2::FlowLog': NETWORK,
  'AWS::IAM::Role': IAM,
  'AWS::IAM::Policy': IAM,
  'AWS::IAM::ManagedPolicy': IAM,
  'AWS::IAM::InstanceProfile': IAM,
  'AWS::Lambda::Permission': RESOURCE_POLICY,
  'AWS::Lambda::EventInvokeConfig':
    'asynchronous invocation settings (retries, event age): a local schedule runs each event once',
  'AWS::SQS::QueuePolicy': RESOURCE_POLICY,
  'AWS::SNS::TopicPolicy': RESOURCE_POLICY,
  'AWS::RDS::DBInstance': DATABASE,
  'AWS::RDS::DBCluster': DATABASE,
  'AWS::RDS::DBSubnetGroup': DATABASE,
  'AWS::RDS::DBParameterGroup': DATABASE,
  'AWS::RDS::DBClusterParameterGroup': DATABASE,
  'AWS::RDS::DBProxy': DATABASE,
  'AWS::RDS::DBProxyTargetGroup': DATABASE,
  'AWS::SecretsManager::Secret': 'secret: the stage supplies its value',
  'AWS::SecretsManager::SecretTargetAttachment': 'secret: the stage supplies its value',
  'AWS::ECS::Cluster': CONTAINERS,
  'AWS::ECS::Service': CONTAINERS,
  'AWS::ECS::TaskDefinition': CONTAINERS,
  'AWS::ApplicationAutoScaling::ScalableTarget': CONTAINERS,
  'AWS::ApplicationAutoScaling::ScalingPolicy': CONTAINERS,
  'AWS::ServiceDiscovery::PrivateDnsNamespace':
    'service discovery: the stage’s processes find each other at local URLs',
  'AWS::ServiceDiscovery::Service':
    'service discovery: the stage’s processes find each other at local URLs',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'load balancing: the stage’s gateway routes',
  'AWS::ElasticLoadBalancingV2::Listener': 'load balancing: the stage’s gateway routes',
  'AWS::ElasticLoadBalancingV2::ListenerRule': 'load balancing: the stage’s gateway routes',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'load balancing: the stage’s gateway routes',
  'AWS::CloudFront::Distribution': CDN,
  'AWS::CloudFront::OriginAccessControl': CDN,
  'AWS::CloudFront::CachePolicy': CDN,
  'AWS::CloudFront::OriginRequestPolicy': CDN,
  'AWS::CloudFront::ResponseHeadersPolicy': CDN,
  'AWS::CloudFront::Function': CDN,
  'AWS::CloudFront::VpcOrigin': CDN,
  'AWS::WAFv2::WebACL': 'edge protection: nothing stands in front of the local processes',
  'AWS::Lambda::LayerVersion':
    'a layer of a deployment-time function (BucketDeployment’s AWS CLI): runs only during a deployment',
  'AWS::S3::BucketPolicy': RESOURCE_POLICY,
  'AWS::Logs::LogGroup': 'logs: every line goes to the terminal',
  'AWS::CloudWatch::Alarm': 'alarms are not evaluated locally',
  'AWS::CDK::Metadata': 'CDK’s own version report',
  'AWS::CloudFormation::CustomResource': 'custom resource: runs only during a deployment',
};

/**
 * CDK's own helper functions, by the construct id CDK gives them (the last segments of their
 * `aws:cdk:path`). They run during a deployment only, as the providers of custom resources.
 */
const CDK_HELPER_IDS: { matches: (segment: string) => boolean; helper: string }[] = [
  {
    matches: (s) => s.startsWith('Custom::CDKBucketDeployment8693BB64968944B69AAFB0CC9EB8756C'),
    helper: 'BucketDeployment handler',
  },
  {
    matches: (s) => s === 'AWS679f53fac002430cb0da5b7982bd2287',
    helper: 'AwsCustomResource provider',
  },
  {
    matches: (s) =>
      ['framework-onEvent', 'framework-isComplete', 'framework-onTimeout'].includes(s),
    helper: 'custom resource Provider framework',
  },
  { matches: (s) => s === 'LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a', helper: 'LogRetention' },
  // CustomResourceProvider names its singleton `<Type>CustomResourceProvider`, e.g. the default
  // security group restriction of a VPC, or S3's auto-delete-objects.
  {
    matches: (s) => s.startsWith('Custom::') && s.endsWith('CustomResourceProvider'),
    helper: 'CustomResourceProvider',
  },
];

export type Classification =
  | { class: 'emulated' }
  | { class: 'ignored'; reason: string }
  | { class: 'unknown'; why: string };

export function classify(logicalId: string, resource: CfnResourceEntry): Classification {
  const { Type: type } = resource;
  if (type === 'AWS::Lambda::Function') return classifyFunction(logicalId, resource);
  if (type === 'AWS::StepFunctions::StateMachine') return classifyStateMachine(logicalId, resource);
  if (EMULATED_TYPES.has(type)) return { class: 'emulated' };
  const reason = IGNORED_TYPES[type];
  if (reason !== undefined) return { class: 'ignored', reason };
  if (type.startsWith('Custom::')) {
    return { class: 'ignored', reason: 'custom resource: runs only during a deployment' };
  }
  if (type === 'AWS::ApiGatewayV2::Authorizer') {
    return {
      class: 'unknown',
      why: 'HTTP API authorizers are not emulated (the course’s services verify tokens themselves)',
    };
  }
  return { class: 'unknown', why: `${type} is neither emulated nor declared ignored` };
}

function classifyFunction(logicalId: string, resource: CfnResourceEntry): Classification {
  if (resource.Metadata?.[APPLICATION_FUNCTION_METADATA] === true) return { class: 'emulated' };
  if (resource.Metadata?.[DEPLOYMENT_FUNCTION_METADATA] === true) {
    return {
      class: 'ignored',
      reason: 'the course’s deployment-time function: runs only during a deployment',
    };
  }
  const path = resource.Metadata?.['aws:cdk:path'];
  const segments = typeof path === 'string' ? path.split('/') : [];
  const helper = CDK_HELPER_IDS.find(({ matches }) => segments.some(matches));
  if (helper !== undefined) {
    return { class: 'ignored', reason: `CDK’s ${helper.helper}: runs only during a deployment` };
  }
  return {
    class: 'unknown',
    why:
      `function ${logicalId} is neither marked as the application's ` +
      '(markApplicationFunction from @course/constructs) nor one of CDK’s known helper functions',
  };
}

/** The construct id CDK's custom resource Provider gives the state machine that polls isComplete. */
const PROVIDER_WAITER_ID = 'waiter-state-machine';

function classifyStateMachine(logicalId: string, resource: CfnResourceEntry): Classification {
  if (resource.Metadata?.[APPLICATION_STATE_MACHINE_METADATA] === true) {
    return { class: 'emulated' };
  }
  const path = resource.Metadata?.['aws:cdk:path'];
  const segments = typeof path === 'string' ? path.split('/') : [];
  if (segments.includes(PROVIDER_WAITER_ID)) {
    return {
      class: 'ignored',
      reason: 'CDK’s custom resource Provider waiter: runs only during a deployment',
    };
  }
  return {
    class: 'unknown',
    why:
      `state machine ${logicalId} is neither marked as the application's ` +
      '(markApplicationStateMachine from @course/constructs) nor a custom resource Provider’s waiter',
  };
}
