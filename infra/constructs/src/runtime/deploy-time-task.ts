import {
  type Container,
  DescribeTasksCommand,
  ECSClient,
  RunTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';

/*
 * The two Lambda handlers of a DeployTimeTask (../deploy-time-task.ts), bundled as index.mjs and
 * driven by CDK's custom resource Provider framework: `onEvent` starts the task when CloudFormation
 * creates or updates the resource, then the framework calls `isComplete` every few seconds until
 * it answers true, or throws, which fails the deploy with the error's message.
 */

/** The custom resource's properties, as DeployTimeTask sets them. */
export interface TaskRunProperties {
  Cluster: string;
  TaskDefinition: string;
  /** The container whose exit code is the task's result. */
  ContainerName: string;
  Subnets: string[];
  SecurityGroups: string[];
  /** Where the container logs, for the failure message: group and stream prefix. */
  LogGroup: string;
  LogStreamPrefix: string;
}

/** What the Provider framework passes to both handlers (the fields used here). */
export interface TaskRunEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResourceProperties: TaskRunProperties;
  /** Absent on Create; then, and after each run, the ARN of the task that ran. */
  PhysicalResourceId?: string;
  /** What `onEvent` returned in Data: the framework merges it into the event `isComplete` gets. */
  Data?: { StartedAt?: string };
}

/**
 * How long `isComplete` waits for ECS to know a task it has just started. RunTask's results are
 * eventually consistent (the ECS API reference says so, and recommends retrying DescribeTasks
 * with a backoff), so a first DescribeTasks can answer MISSING for a task that runs fine.
 */
export const MISSING_TASK_GRACE_MS = 2 * 60 * 1000;

/** The one ECS client call the handlers make: `send` of a command. */
export interface EcsApi {
  send(
    command: RunTaskCommand | DescribeTasksCommand,
  ): Promise<{ tasks?: Task[]; failures?: Failure[] }>;
}

interface Failure {
  arn?: string;
  reason?: string;
  detail?: string;
}

/** What a task's state says about the run: still going, succeeded, or failed (and why). */
export type TaskOutcome = { done: false } | { done: true; failure?: string };

/** A stopped task succeeded if and only if its container exited with 0. */
export function outcomeOf(task: Task, properties: TaskRunProperties): TaskOutcome {
  if (task.lastStatus !== 'STOPPED') return { done: false };
  const container: Container | undefined = task.containers?.find(
    (candidate) => candidate.name === properties.ContainerName,
  );
  if (container?.exitCode === 0) return { done: true };
  const taskId = task.taskArn?.split('/').at(-1) ?? 'unknown';
  const exit =
    container?.exitCode === undefined
      ? 'did not run to an exit code'
      : `exited with ${container.exitCode}`;
  // stoppedReason says why ECS stopped the task ("Essential container in task exited",
  // "CannotPullContainerError: …", "ResourceInitializationError: unable to pull secrets …").
  const reasons = [task.stoppedReason, container?.reason].filter(Boolean).join('; ');
  const logs = `${properties.LogGroup}, stream ${properties.LogStreamPrefix}/${properties.ContainerName}/${taskId}`;
  return {
    done: true,
    failure: `The one-off task ${taskId} failed: ${properties.ContainerName} ${exit} (${reasons || 'no reason given'}). Its logs: ${logs}`,
  };
}

function failuresText(failures: Failure[] | undefined): string {
  return (failures ?? [])
    .map((f) => [f.arn, f.reason, f.detail].filter(Boolean).join(' '))
    .join('; ');
}

/** The handlers, over any ECS client and clock: the real ones on AWS, recorded ones in tests. */
export function deployTimeTaskHandlers(ecs: EcsApi, now: () => number = Date.now) {
  return {
    async onEvent(
      event: TaskRunEvent,
    ): Promise<{ PhysicalResourceId?: string; Data?: { StartedAt: string } }> {
      // The task ran when the resource was created or updated; deleting it deletes nothing.
      if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
      const properties = event.ResourceProperties;
      const { tasks, failures } = await ecs.send(
        new RunTaskCommand({
          cluster: properties.Cluster,
          taskDefinition: properties.TaskDefinition,
          launchType: 'FARGATE',
          count: 1,
          startedBy: 'cloudformation',
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: properties.Subnets,
              securityGroups: properties.SecurityGroups,
              // No NAT gateway: a public IP is the task's way to ECR, Secrets Manager and Logs.
              assignPublicIp: 'ENABLED',
            },
          },
        }),
      );
      const taskArn = tasks?.[0]?.taskArn;
      if (taskArn === undefined) {
        throw new Error(`ECS started no task: ${failuresText(failures) || 'no reason given'}`);
      }
      // When it started: isComplete gives ECS a grace from then to see the task (see above).
      return { PhysicalResourceId: taskArn, Data: { StartedAt: new Date(now()).toISOString() } };
    },

    async isComplete(event: TaskRunEvent): Promise<{ IsComplete: boolean }> {
      if (event.RequestType === 'Delete') return { IsComplete: true };
      const properties = event.ResourceProperties;
      const taskArn = event.PhysicalResourceId ?? '';
      const { tasks, failures } = await ecs.send(
        new DescribeTasksCommand({ cluster: properties.Cluster, tasks: [taskArn] }),
      );
      const task = tasks?.[0];
      if (task === undefined) {
        const startedAt = Date.parse(event.Data?.StartedAt ?? '');
        const justStarted =
          failures?.every((failure) => failure.reason === 'MISSING') === true &&
          now() - startedAt < MISSING_TASK_GRACE_MS;
        if (justStarted) return { IsComplete: false };
        throw new Error(`ECS does not know the task ${taskArn}: ${failuresText(failures)}`);
      }
      const outcome = outcomeOf(task, properties);
      if (outcome.done && outcome.failure !== undefined) throw new Error(outcome.failure);
      return { IsComplete: outcome.done };
    },
  };
}

const handlers = deployTimeTaskHandlers(new ECSClient({}));
export const onEvent = handlers.onEvent;
export const isComplete = handlers.isComplete;
