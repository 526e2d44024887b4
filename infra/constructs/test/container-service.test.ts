import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { describe, expect, it } from 'vitest';
import { ContainerService, type ContainerServiceProps, CourseVpc } from '../src/index.ts';

interface Synthesized {
  template: Template;
  /** Logical ids of the security groups, to read rules that refer to them. */
  ids: { api: string; caller: string };
  api: ContainerService;
}

/** An "api" service with a setup step, and a "caller" service without one that it admits. */
function synthServices(api: Partial<ContainerServiceProps> = {}): Synthesized {
  const stack = new Stack(new App(), 'Test');
  const { vpc } = new CourseVpc(stack, 'Network');
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const namespace = new servicediscovery.PrivateDnsNamespace(stack, 'Discovery', {
    name: 'test.internal',
    vpc,
  });
  const image = ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:24-slim');
  const secret = new secretsmanager.Secret(stack, 'Secret');
  const apiService = new ContainerService(stack, 'Api', {
    cluster,
    namespace,
    name: 'api',
    image,
    environment: { STAGE: '02' },
    secrets: { TOKEN: ecs.Secret.fromSecretsManager(secret) },
    setup: { command: ['node', 'setup.js'], environment: { SERVICE: 'api' } },
    ...api,
  });
  const caller = new ContainerService(stack, 'Caller', {
    cluster,
    namespace,
    name: 'caller',
    image,
  });
  apiService.admit(caller, 'caller -> api');

  const id = (service: ContainerService) =>
    stack.getLogicalId(service.securityGroup.node.defaultChild as CfnElement);
  return {
    template: Template.fromStack(stack),
    ids: { api: id(apiService), caller: id(caller) },
    api: apiService,
  };
}

interface Container {
  Name: string;
  Essential: boolean;
  Command?: string[];
  DependsOn?: Array<{ ContainerName: string; Condition: string }>;
}

function containersOf(template: Template, prefix: string): Container[] {
  const [task] = Object.entries(template.findResources('AWS::ECS::TaskDefinition'))
    .filter(([id]) => id.startsWith(prefix))
    .map(([, resource]) => resource);
  return task?.Properties.ContainerDefinitions as Container[];
}

describe('ContainerService', () => {
  it('defaults to a Fargate task for ARM64 with 0.25 vCPU and 512 MiB', () => {
    const { template } = synthServices();

    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      Cpu: '256',
      Memory: '512',
    });
  });

  it('starts the app container only once the setup step has succeeded', () => {
    const { template } = synthServices();

    const [setup, app] = containersOf(template, 'Api');

    expect(setup).toMatchObject({
      Name: 'api-setup',
      Essential: false,
      Command: ['node', 'setup.js'],
    });
    expect(app).toMatchObject({
      Name: 'api',
      Essential: true,
      DependsOn: [{ ContainerName: 'api-setup', Condition: 'SUCCESS' }],
    });
    expect(containersOf(template, 'Caller')).toHaveLength(1);
  });

  it('runs in the public subnets with a public IP, so it needs no NAT gateway', () => {
    const { template } = synthServices();

    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.allResourcesProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          AssignPublicIp: 'ENABLED',
          Subnets: Match.arrayWith([{ Ref: Match.stringLikeRegexp('publicSubnet') }]),
        },
      },
    });
  });

  it('deploys new tasks first and rolls back when they keep failing', () => {
    const { template } = synthServices();

    template.allResourcesProperties('AWS::ECS::Service', {
      DeploymentConfiguration: {
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      },
    });
  });

  it('registers its tasks in Cloud Map by name and says where to call it', () => {
    const { template, api } = synthServices();

    template.hasResourceProperties('AWS::ServiceDiscovery::Service', {
      Name: 'api',
      DnsConfig: { DnsRecords: [{ Type: 'A', TTL: 10 }] },
    });
    expect(api.url).toBe('http://api.test.internal:3000');
  });

  it('lets its tasks out on HTTPS only, until a peer is admitted', () => {
    const { template, ids } = synthServices();

    const groups = template.findResources('AWS::EC2::SecurityGroup');
    for (const id of [ids.api, ids.caller]) {
      expect(groups[id]?.Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 }),
      ]);
    }
  });

  it('admits a peer on the app port: in on its own group, out on the peer', () => {
    const { template, ids } = synthServices();

    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [ids.api, 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [ids.caller, 'GroupId'] },
      FromPort: 3000,
      ToPort: 3000,
    });
    template.resourceCountIs('AWS::EC2::SecurityGroupEgress', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [ids.caller, 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [ids.api, 'GroupId'] },
      FromPort: 3000,
    });
  });

  it('scales between 1 and 3 tasks to keep CPU at 60 %', () => {
    const { template } = synthServices();

    template.allResourcesProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 1,
      MaxCapacity: 3,
    });
    template.allResourcesProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 60 }),
    });
  });

  it('checks its targets on /healthz, registered by IP, and logs for a week', () => {
    const { template } = synthServices({ maxCapacity: 5 });

    template.allResourcesProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'ip',
      HealthCheckPath: '/healthz',
      Port: 3000,
    });
    template.allResources('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Delete',
      Properties: { RetentionInDays: 7 },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MaxCapacity: 5,
    });
  });
});
