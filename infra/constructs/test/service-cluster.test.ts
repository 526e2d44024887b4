import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { CourseVpc, PostgresDatabase, ServiceCluster } from '../src/index.ts';

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  Metadata?: { cdk_nag?: { rules_to_suppress?: Array<{ id: string }> } };
}

interface Container {
  Name: string;
  Environment?: Array<{ Name: string; Value: string }>;
}

/** A cluster with defaults for every service, one service, and a prerequisite added after it. */
function synthCluster() {
  const stack = new Stack(new App(), 'Test');
  const { vpc } = new CourseVpc(stack, 'Network');
  const database = new PostgresDatabase(stack, 'Database', { vpc });
  const cluster = new ServiceCluster<'api' | 'worker'>(stack, {
    vpc,
    domain: 'test.internal',
    database,
    serviceDefaults: (name) => ({
      port: 8080,
      environment: { SERVICE: name, LEVEL: 'info' },
    }),
  });
  const api = cluster.addService({
    name: 'api',
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:24-slim'),
    environment: { LEVEL: 'debug', EXTRA: 'yes' },
  });
  // Added after the service: the service must wait for it all the same.
  const prerequisite = new sqs.Queue(stack, 'Prerequisite');
  cluster.startsAfter(prerequisite);

  const template = Template.fromStack(stack);
  const idOf = (element: CfnElement) => stack.getLogicalId(element);
  return {
    template,
    resources: template.toJSON().Resources as Record<string, Resource>,
    ids: {
      cluster: idOf(cluster.cluster.node.defaultChild as CfnElement),
      namespace: idOf(cluster.namespace.node.defaultChild as CfnElement),
      service: idOf(api.service.node.defaultChild as CfnElement),
      prerequisite: idOf(prerequisite.node.defaultChild as CfnElement),
      apiGroup: idOf(api.securityGroup.node.defaultChild as CfnElement),
    },
    api,
  };
}

describe('ServiceCluster', () => {
  it("puts the cluster, the namespace and the services in its scope, so their logical ids are the scope's", () => {
    const { ids } = synthCluster();

    expect(ids.cluster).toMatch(/^Cluster[0-9A-F]{8}$/);
    expect(ids.namespace).toMatch(/^Discovery[0-9A-F]{8}$/);
    expect(ids.service).toMatch(/^ApiService[0-9A-F]{8}$/);
  });

  it('gives each service the defaults for its name, its own props winning variable by variable', () => {
    const { template, api } = synthCluster();

    const tasks = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    const [app] = tasks.flatMap((task) => task.Properties.ContainerDefinitions as Container[]);

    expect(app?.Environment).toEqual([
      { Name: 'SERVICE', Value: 'api' },
      { Name: 'LEVEL', Value: 'debug' },
      { Name: 'EXTRA', Value: 'yes' },
    ]);
    expect(api.url).toBe('http://api.test.internal:8080');
  });

  it("lets each service's tasks into the database server", () => {
    const { template, ids } = synthCluster();

    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      SourceSecurityGroupId: { 'Fn::GetAtt': [ids.apiGroup, 'GroupId'] },
      FromPort: 5432,
      ToPort: 5432,
    });
  });

  it('creates no service before what it must start after, even when that is added later', () => {
    const { resources, ids } = synthCluster();

    expect(resources[ids.service]?.DependsOn).toContain(ids.prerequisite);
  });

  it('says why Container Insights is off, in place', () => {
    const { resources, ids } = synthCluster();

    const suppressed = resources[ids.cluster]?.Metadata?.cdk_nag?.rules_to_suppress ?? [];
    expect(suppressed.map((rule) => rule.id)).toContain('AwsSolutions-ECS4');
  });
});
