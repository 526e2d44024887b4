export {
  markApplicationFunction,
  markApplicationStateMachine,
  markDeploymentFunction,
} from './application-function.ts';
export {
  ContainerService,
  type ContainerServiceProps,
  type ContainerSetupStep,
} from './container-service.ts';
export { availabilityZonesOption, CourseVpc, type CourseVpcProps } from './course-vpc.ts';
export { DeployTimeTask, type DeployTimeTaskProps } from './deploy-time-task.ts';
export {
  CLOUDFRONT_ORIGIN_FACING,
  CLOUDFRONT_ORIGIN_FACING_WEIGHT,
  LoadBalancerOrigin,
  type LoadBalancerOriginProps,
  SECURITY_GROUP_INBOUND_RULES_QUOTA,
} from './load-balancer-origin.ts';
export { applyCourseNagChecks } from './nag.ts';
export {
  buildNodeAppBundle,
  NODE_RUNTIME,
  type NodeAppBundleProps,
  nodeAppAsset,
} from './node-app-bundle.ts';
export {
  NodeAppHost,
  type NodeAppHostProps,
  suppressLoadBalancerFindings,
} from './node-app-host.ts';
export { PostgresDatabase, type PostgresDatabaseProps } from './postgres-database.ts';
export { RouteTableRules, type RouteTableRulesProps } from './route-table-rules.ts';
export {
  type ClusterServiceProps,
  ServiceCluster,
  type ServiceClusterProps,
  type ServiceDefaults,
} from './service-cluster.ts';
export { type SigningSeedProps, signingSeedSecret } from './signing-seed.ts';
export {
  WebDistribution,
  type WebDistributionApi,
  type WebDistributionProps,
} from './web-distribution.ts';
