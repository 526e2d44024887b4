import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DescribeTasksCommand, RunTaskCommand, type Task } from '@aws-sdk/client-ecs';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it } from 'vitest';
import { CourseVpc, DeployTimeTask, PostgresDatabase } from '../src/index.ts';
import {
  deployTimeTaskHandlers,
  type EcsApi,
  MISSING_TASK_GRACE_MS,
  type TaskRunEvent,
  type TaskRunProperties,
} from '../src/runtime/deploy-time-task.ts';

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
}

let app: App;
let template: Template;
let ids: { task: string; group: string; run: string; database: string; cluster: string };

beforeAll(() => {
  app = new App();
  const stack = new Stack(app, 'Test');
  const { vpc } = new CourseVpc(stack, 'Network');
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const database = new PostgresDatabase(stack, 'Database', { vpc });
  const task = new DeployTimeTask(stack, 'Setup', {
    cluster,
    name: 'setup',
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:24-slim'),
    command: ['node', 'setup.js'],
    secrets: { ADMIN: ecs.Secret.fromSecretsManager(database.secret) },
  });
  database.allowFrom(task.securityGroup);
  task.runsAfter(database);
  // Something that must wait for the task: a secret, for the test.
  new secretsmanager.Secret(stack, 'After').node.addDependency(task);

  template = Template.fromStack(stack);
  const logicalId = (element: CfnElement) => stack.getLogicalId(element);
  ids = {
    task: logicalId(task.taskDefinition.node.defaultChild as CfnElement),
    group: logicalId(task.securityGroup.node.defaultChild as CfnElement),
    run: only('Custom::DeployTimeTask')[0],
    database: logicalId(database.instance.node.defaultChild as CfnElement),
    cluster: logicalId(cluster.node.defaultChild as CfnElement),
  };
});

function all(type: string): Array<[string, Resource]> {
  return Object.entries(template.findResources(type)) as Array<[string, Resource]>;
}

function only(type: string): [string, Resource] {
  const found = all(type);
  expect(found, type).toHaveLength(1);
  return found[0] as [string, Resource];
}

/** The Lambda function whose handler is `index.<handler>`. */
function functionOf(handler: string): Resource {
  const found = all('AWS::Lambda::Function').find(
    ([, f]) => f.Properties.Handler === `index.${handler}`,
  );
  if (found === undefined) throw new Error(`no function runs index.${handler}`);
  return found[1];
}

function statementsOfFunction(handler: string): unknown[] {
  const fn = functionOf(handler);
  const role = (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
  return all('AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: unknown[] }).Statement);
}

describe('DeployTimeTask', () => {
  it('runs its task definition in the public subnets, with its own security group', () => {
    const [, run] = only('Custom::DeployTimeTask');

    expect(run.Properties).toMatchObject({
      TaskDefinition: { Ref: ids.task },
      ContainerName: 'setup',
      SecurityGroups: [{ 'Fn::GetAtt': [ids.group, 'GroupId'] }],
      Subnets: [
        { Ref: expect.stringMatching(/publicSubnet1/) },
        { Ref: expect.stringMatching(/publicSubnet2/) },
      ],
    });
  });

  it('lets its task out on HTTPS and to what it is opened to, and nobody in', () => {
    const [, group] = all('AWS::EC2::SecurityGroup').find(([id]) => id === ids.group) ?? [];

    expect(group?.Properties.SecurityGroupIngress).toBeUndefined();
    expect(group?.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 }),
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [ids.group, 'GroupId'] },
      FromPort: 5432,
    });
  });

  it('runs after what it is told to, and before what depends on it', () => {
    const [, run] = only('Custom::DeployTimeTask');
    const [ingress] =
      all('AWS::EC2::SecurityGroupIngress').find(([, rule]) =>
        JSON.stringify(rule.Properties.SourceSecurityGroupId).includes(`"${ids.group}"`),
      ) ?? [];
    const [, after] =
      all('AWS::SecretsManager::Secret').find(([id]) => id.startsWith('After')) ?? [];

    expect(run.DependsOn).toEqual(expect.arrayContaining([ids.database, ingress]));
    expect(after?.DependsOn).toContain(ids.run);
  });

  it('may start that task definition only, in its cluster only, and pass its two roles to ECS only', () => {
    const [, task] = all('AWS::ECS::TaskDefinition').find(([id]) => id === ids.task) ?? [];

    const statements = statementsOfFunction('onEvent');

    expect(statements).toEqual([
      {
        Action: 'iam:PassRole',
        Effect: 'Allow',
        Resource: expect.arrayContaining([
          task?.Properties.TaskRoleArn,
          task?.Properties.ExecutionRoleArn,
        ]),
        Condition: { StringLike: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      },
      {
        Action: 'ecs:RunTask',
        Effect: 'Allow',
        Resource: { Ref: ids.task },
        Condition: { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [ids.cluster, 'Arn'] } } },
      },
    ]);
  });

  it("may describe the cluster's tasks only, to watch its own", () => {
    const statements = statementsOfFunction('isComplete');

    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({ Action: 'ecs:DescribeTasks', Effect: 'Allow' });
    expect(JSON.stringify(statements[0])).toMatch(/:task\/".*\{"Ref":"Cluster[^"]*"\},"\/\*"/);
  });

  it('starts and watches the task from functions outside the VPC, on Node 24 for ARM64', () => {
    const handlers = all('AWS::Lambda::Function').filter(([, f]) =>
      ['index.onEvent', 'index.isComplete'].includes(String(f.Properties.Handler)),
    );

    expect(handlers).toHaveLength(2);
    for (const [, fn] of all('AWS::Lambda::Function')) {
      expect(fn.Properties.VpcConfig).toBeUndefined();
    }
    for (const [, fn] of handlers) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    }
  });

  it('bundles both handlers at synth, without Docker, into one module', async () => {
    const fn = functionOf('onEvent');
    const key = String((fn.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
    const manifest = JSON.parse(readFileSync(join(app.outdir, 'Test.assets.json'), 'utf8')) as {
      files: Record<string, { source: { path: string; packaging: string } }>;
    };
    const assetPath = manifest.files[key]?.source.path;
    expect(manifest.files[key]?.source.packaging).toBe('zip');
    const bundle = join(app.outdir, assetPath ?? '', 'index.mjs');

    const handlers = (await import(pathToFileURL(bundle).href)) as Record<string, unknown>;

    expect(typeof handlers.onEvent).toBe('function');
    expect(typeof handlers.isComplete).toBe('function');
    expect(readFileSync(bundle, 'utf8')).toContain('RunTaskCommand');
  });
});

/** An ECS client that records each command and answers from a script. */
function fakeEcs(answers: Array<{ tasks?: Task[]; failures?: Array<Record<string, string>> }>) {
  const sent: Array<RunTaskCommand | DescribeTasksCommand> = [];
  const ecsApi: EcsApi = {
    async send(command) {
      sent.push(command);
      return answers.shift() ?? {};
    },
  };
  return { ecsApi, sent };
}

const properties: TaskRunProperties = {
  Cluster: 'arn:aws:ecs:eu-west-1:111122223333:cluster/lab',
  TaskDefinition: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/setup:3',
  ContainerName: 'setup',
  Subnets: ['subnet-a', 'subnet-b'],
  SecurityGroups: ['sg-1'],
  LogGroup: 'lab-logs',
  LogStreamPrefix: 'run',
};
const taskArn = 'arn:aws:ecs:eu-west-1:111122223333:task/lab/0123abcd';
const event = (RequestType: TaskRunEvent['RequestType'], PhysicalResourceId?: string) => ({
  RequestType,
  ResourceProperties: properties,
  PhysicalResourceId,
});
const stopped = (container: Record<string, unknown>, stoppedReason: string): Task => ({
  taskArn,
  lastStatus: 'STOPPED',
  stoppedReason,
  containers: [{ name: 'setup', ...container }],
});

describe('the deploy-time task handlers', () => {
  it('start the task on Fargate with a public IP, in the given subnets and security groups', async () => {
    const { ecsApi, sent } = fakeEcs([{ tasks: [{ taskArn }] }]);
    const startedAt = Date.parse('2025-06-01T10:00:00.000Z');

    const response = await deployTimeTaskHandlers(ecsApi, () => startedAt).onEvent(event('Create'));

    expect(response).toEqual({
      PhysicalResourceId: taskArn,
      Data: { StartedAt: '2025-06-01T10:00:00.000Z' },
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(RunTaskCommand);
    expect(sent[0]?.input).toMatchObject({
      cluster: properties.Cluster,
      taskDefinition: properties.TaskDefinition,
      launchType: 'FARGATE',
      count: 1,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-a', 'subnet-b'],
          securityGroups: ['sg-1'],
          assignPublicIp: 'ENABLED',
        },
      },
    });
  });

  it('fail the deploy with ECS own reason when no task starts', async () => {
    const { ecsApi } = fakeEcs([{ tasks: [], failures: [{ reason: 'MISSING', arn: 'x' }] }]);

    await expect(deployTimeTaskHandlers(ecsApi).onEvent(event('Update', 'old'))).rejects.toThrow(
      /ECS started no task: x MISSING/,
    );
  });

  it('run nothing when the resource is deleted', async () => {
    const { ecsApi, sent } = fakeEcs([]);
    const handlers = deployTimeTaskHandlers(ecsApi);

    const deleted = await handlers.onEvent(event('Delete', taskArn));
    const complete = await handlers.isComplete(event('Delete', taskArn));

    expect(deleted).toEqual({ PhysicalResourceId: taskArn });
    expect(complete).toEqual({ IsComplete: true });
    expect(sent).toEqual([]);
  });

  it('wait while the task runs, and complete once its container exits with 0', async () => {
    const { ecsApi, sent } = fakeEcs([
      { tasks: [{ taskArn, lastStatus: 'PROVISIONING' }] },
      { tasks: [{ taskArn, lastStatus: 'RUNNING' }] },
      { tasks: [stopped({ exitCode: 0 }, 'Essential container in task exited')] },
    ]);
    const { isComplete } = deployTimeTaskHandlers(ecsApi);

    const answers = [
      await isComplete(event('Create', taskArn)),
      await isComplete(event('Create', taskArn)),
      await isComplete(event('Create', taskArn)),
    ];

    expect(answers).toEqual([{ IsComplete: false }, { IsComplete: false }, { IsComplete: true }]);
    expect(sent[0]).toBeInstanceOf(DescribeTasksCommand);
    expect(sent[0]?.input).toEqual({ cluster: properties.Cluster, tasks: [taskArn] });
  });

  it('wait while ECS does not see a task it has just started yet (RunTask is eventually consistent)', async () => {
    const startedAt = Date.parse('2025-06-01T10:00:00.000Z');
    let clock = startedAt;
    const { ecsApi } = fakeEcs([
      { tasks: [{ taskArn }] },
      { tasks: [], failures: [{ arn: taskArn, reason: 'MISSING' }] },
      { tasks: [{ taskArn, lastStatus: 'RUNNING' }] },
      { tasks: [stopped({ exitCode: 0 }, 'Essential container in task exited')] },
    ]);
    const handlers = deployTimeTaskHandlers(ecsApi, () => clock);
    // The framework passes isComplete the event merged with what onEvent returned.
    const started = { ...event('Create'), ...(await handlers.onEvent(event('Create'))) };

    const answers = [];
    for (const elapsedMs of [1_000, 11_000, 21_000]) {
      clock = startedAt + elapsedMs;
      answers.push(await handlers.isComplete(started));
    }

    expect(answers).toEqual([{ IsComplete: false }, { IsComplete: false }, { IsComplete: true }]);
  });

  it('fail the deploy once ECS still does not know the task after the grace', async () => {
    const startedAt = Date.parse('2025-06-01T10:00:00.000Z');
    const { ecsApi } = fakeEcs([{ tasks: [], failures: [{ arn: taskArn, reason: 'MISSING' }] }]);
    const late = () => startedAt + MISSING_TASK_GRACE_MS;
    const started = {
      ...event('Create', taskArn),
      Data: { StartedAt: '2025-06-01T10:00:00.000Z' },
    };

    await expect(deployTimeTaskHandlers(ecsApi, late).isComplete(started)).rejects.toThrow(
      `ECS does not know the task ${taskArn}: ${taskArn} MISSING`,
    );
  });

  it('fail the deploy at once when ECS gives another reason than MISSING', async () => {
    const startedAt = Date.parse('2025-06-01T10:00:00.000Z');
    const { ecsApi } = fakeEcs([
      { tasks: [], failures: [{ arn: taskArn, reason: 'ACCESS_DENIED' }] },
    ]);
    const started = {
      ...event('Create', taskArn),
      Data: { StartedAt: '2025-06-01T10:00:00.000Z' },
    };

    await expect(
      deployTimeTaskHandlers(ecsApi, () => startedAt + 1_000).isComplete(started),
    ).rejects.toThrow(/ACCESS_DENIED/);
  });

  it('fail the deploy with the exit code, the stop reason and where the logs are', async () => {
    const { ecsApi } = fakeEcs([
      { tasks: [stopped({ exitCode: 1 }, 'Essential container in task exited')] },
    ]);

    await expect(
      deployTimeTaskHandlers(ecsApi).isComplete(event('Create', taskArn)),
    ).rejects.toThrow(
      'The one-off task 0123abcd failed: setup exited with 1 (Essential container in task exited). ' +
        'Its logs: lab-logs, stream run/setup/0123abcd',
    );
  });

  it('fail the deploy with the reason when the container never ran', async () => {
    const { ecsApi } = fakeEcs([
      {
        tasks: [
          stopped(
            { reason: 'CannotPullContainerError: pull image manifest has been retried' },
            'Task failed to start',
          ),
        ],
      },
    ]);

    await expect(
      deployTimeTaskHandlers(ecsApi).isComplete(event('Create', taskArn)),
    ).rejects.toThrow(
      /setup did not run to an exit code \(Task failed to start; CannotPullContainerError/,
    );
  });
});
