import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { NagSuppressions } from 'cdk-nag';
import { type Construct, DependencyGroup, type IDependable } from 'constructs';
import { ContainerService, type ContainerServiceProps } from './container-service.ts';
import type { PostgresDatabase } from './postgres-database.ts';

/** What a service of the cluster is given: a ContainerService's props but its cluster's. */
export interface ClusterServiceProps<Name extends string = string>
  extends Omit<ContainerServiceProps, 'cluster' | 'namespace' | 'name'> {
  name: Name;
}

/** What every service of a cluster may share: any of its props but its name. */
export type ServiceDefaults = Partial<Omit<ClusterServiceProps, 'name'>>;

export interface ServiceClusterProps<Name extends string = string> {
  vpc: ec2.IVpc;
  /** The private DNS domain in which each service is `<name>.<domain>` (Cloud Map). */
  domain: string;
  /** The namespace's description. @default `Service discovery: <service>.<domain>` */
  description?: string;
  /**
   * The database server on which every service has its database: it admits each service's tasks.
   * @default none: the services get no way to a database
   */
  database?: PostgresDatabase;
  /**
   * What each service gets unless its own props say otherwise (environment and secrets merge
   * variable by variable, the service's own winning), by the service's name.
   * @default none
   */
  serviceDefaults?: (name: Name) => ServiceDefaults;
}

/**
 * ECS services that find each other by name: a cluster and a Cloud Map private DNS namespace in
 * a VPC, and `addService` for each ContainerService, which registers in that namespace.
 *
 * Defaults: the cluster without Container Insights (it bills its metrics, about as much as a
 * task here; the cdk-nag finding is suppressed with that reason), a service's construct id is
 * its name capitalized (`users` → `Users`).
 *
 * Not a construct of its own: the cluster, the namespace and the services are children of
 * `scope` (ids `Cluster`, `Discovery`, `Users`…), as they were before this class existed, so a
 * stack already deployed keeps every logical id and CloudFormation replaces nothing.
 */
export class ServiceCluster<Name extends string = string> {
  readonly cluster: ecs.Cluster;
  readonly namespace: servicediscovery.PrivateDnsNamespace;
  /** What every service waits for: read when the app synthesizes, so it may grow late. */
  private readonly prerequisites = new DependencyGroup();

  constructor(
    private readonly scope: Construct,
    private readonly props: ServiceClusterProps<Name>,
  ) {
    // The cluster is only a namespace for the services; Fargate runs the tasks.
    this.cluster = new ecs.Cluster(scope, 'Cluster', { vpc: props.vpc });
    NagSuppressions.addResourceSuppressions(this.cluster, [
      {
        id: 'AwsSolutions-ECS4',
        reason:
          'Container Insights bills its metrics (about as much as a task here); ECS and the ' +
          "services' own logs show what a lab needs. `containerInsightsV2` turns it on.",
      },
    ]);
    this.namespace = new servicediscovery.PrivateDnsNamespace(scope, 'Discovery', {
      name: props.domain,
      vpc: props.vpc,
      description: props.description ?? `Service discovery: <service>.${props.domain}`,
    });
  }

  /**
   * Makes every service, those added already and those added later, create its first task only
   * after `dependencies` exist (e.g. the one-off task that creates the services' databases).
   */
  startsAfter(...dependencies: IDependable[]): void {
    this.prerequisites.add(...dependencies);
  }

  /** A ContainerService in this cluster, over the cluster's `serviceDefaults`. */
  addService(props: ClusterServiceProps<Name>): ContainerService {
    const defaults = this.props.serviceDefaults?.(props.name) ?? {};
    const service = new ContainerService(this.scope, capitalized(props.name), {
      ...defaults,
      ...props,
      environment: { ...defaults.environment, ...props.environment },
      secrets: { ...defaults.secrets, ...props.secrets },
      cluster: this.cluster,
      namespace: this.namespace,
    });
    this.props.database?.allowFrom(service.securityGroup);
    service.service.node.addDependency(this.prerequisites);
    return service;
  }
}

function capitalized(name: string): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}
