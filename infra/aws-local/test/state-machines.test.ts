/*
 * The local Step Functions, driven only through @aws-sdk/client-sfn (and client-lambda for the
 * Invoke API's view of a function fault), on the saga fixture's synthesized definition
 * (test/fixtures/saga-app): the paths of a saga, the fault switches on its steps, how a
 * function's failure and a compensation's capped, jittered retries end an execution, the API's
 * rules for names, histories and failed executions, and what fails the start.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalAws, LocalAwsError, startLocalAws } from '../src/index.ts';
import { LOCAL_CREDENTIALS } from '../src/messaging/server.ts';
import { lambdaTaskError } from '../src/stepfunctions/engine.ts';
import { SAGA_ASSEMBLY_DIR } from './fixture-app.ts';

const TIME_SCALE = 0.01;
const quiet = () => {};
let local: LocalAws;
let sfn: SFNClient;
let sagaArn: string;
let grantFunction: string;
let refundFunction: string;

beforeAll(async () => {
  local = await startLocalAws({
    assemblyDir: SAGA_ASSEMBLY_DIR,
    timeScale: TIME_SCALE,
    log: quiet,
  });
  sfn = new SFNClient({
    endpoint: local.stepFunctionsUrl,
    region: local.model.region,
    credentials: LOCAL_CREDENTIALS,
  });
  sagaArn = Object.values(local.stateMachineArns)[0] ?? '';
  const logicalId = (prefix: string) =>
    local.model.functions.find((f) => f.logicalId.startsWith(prefix))?.logicalId ?? '';
  grantFunction = logicalId('GrantFunction');
  refundFunction = logicalId('RefundFunction');
});

afterAll(async () => {
  sfn?.destroy();
  await local?.stop();
});

afterEach(() => {
  local.messaging.faults.set(grantFunction, {});
  local.messaging.faults.set(refundFunction, {});
  vi.restoreAllMocks();
});

let purchases = 0;
function purchase(extra: Record<string, unknown> = {}) {
  purchases += 1;
  return { purchaseId: `p-${purchases}`, ...extra };
}

async function start(input: Record<string, unknown>, name?: string) {
  return sfn.send(
    new StartExecutionCommand({
      stateMachineArn: sagaArn,
      input: JSON.stringify(input),
      ...(name === undefined ? {} : { name }),
    }),
  );
}

async function ended(executionArn: string): Promise<DescribeExecutionCommandOutput> {
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return described;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function run(input: Record<string, unknown>, name?: string) {
  const { executionArn = '' } = await start(input, name);
  return { ...(await ended(executionArn)), executionArn };
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
  return events;
}

/** The names of the functions each TaskScheduled called, in order. */
function scheduledSteps(events: HistoryEvent[]): string[] {
  return events
    .filter((e) => e.type === 'TaskScheduled')
    .map((e) => {
      const parameters = JSON.parse(e.taskScheduledEventDetails?.parameters ?? '{}');
      return (
        String(parameters.FunctionName)
          .split(':')
          .at(-1)
          ?.replace(/^AwsLocalSaga-/, '') ?? ''
      );
    })
    .map((name) => name.replace(/Function.*$/, ''));
}

describe('a saga from the synthesized template', () => {
  it('runs debit then grant to success, with the optimized integration’s Payload', async () => {
    const input = purchase();

    const execution = await run(input);

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toEqual({
      ...input,
      debit: { outcome: 'debited' },
      grant: { runs: 1 },
    });
  });

  it('takes the Choice’s other branch when the debit is rejected, calling no grant', async () => {
    const execution = await run(purchase({ debit: 'rejected' }));

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('PurchaseNotDebited');
    expect(execution.cause).toBe('no credits');
    expect(scheduledSteps(await history(execution.executionArn))).toEqual(['Debit']);
  });

  it('retries a grant that failed once (fail=once) and succeeds', async () => {
    local.messaging.faults.set(grantFunction, { fail: { times: 1 } });

    const execution = await run(purchase());

    expect(execution.status).toBe('SUCCEEDED');
    const events = await history(execution.executionArn);
    expect(scheduledSteps(events)).toEqual(['Debit', 'Grant', 'Grant']);
    const failed = events.find((e) => e.type === 'TaskFailed');
    expect(failed?.taskFailedEventDetails?.error).toBe('Runtime.ExitError');
  });

  it('compensates a grant that fails for good: three retries, then Refund and the Fail state', async () => {
    local.messaging.faults.set(grantFunction, { fail: { probability: 1 } });

    const execution = await run(purchase());

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('PurchaseRefunded');
    const events = await history(execution.executionArn);
    expect(scheduledSteps(events)).toEqual(['Debit', 'Grant', 'Grant', 'Grant', 'Grant', 'Refund']);
  });

  it('never retries a TitleRefused (MaxAttempts 0): straight to the compensation', async () => {
    const execution = await run(purchase({ grant: 'refuse' }));

    expect(execution.status).toBe('FAILED');
    const events = await history(execution.executionArn);
    expect(scheduledSteps(events)).toEqual(['Debit', 'Grant', 'Refund']);
    const caught = events.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails;
    expect(caught?.error).toBe('TitleRefused');
    expect(JSON.parse(caught?.cause ?? '{}')).toMatchObject({
      errorType: 'TitleRefused',
      errorMessage: expect.stringMatching(/^no title for p-/),
    });
  });

  it('runs the handler again after crash-after-effect=once: the retry’s result is the second run', async () => {
    local.messaging.faults.set(grantFunction, { crashAfterEffect: { times: 1 } });

    const execution = await run(purchase());

    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}').grant).toEqual({ runs: 2 });
  });

  it('answers a function fault through the Invoke API as Lambda does (200, Unhandled)', async () => {
    local.messaging.faults.set(grantFunction, { fail: { times: 1 } });
    const lambda = new LambdaClient({
      endpoint: local.endpoints.lambda,
      region: local.model.region,
      credentials: LOCAL_CREDENTIALS,
    });
    const name = local.model.functions.find((f) => f.logicalId === grantFunction)?.name;

    const answer = await lambda.send(
      new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(purchase()) }),
    );
    lambda.destroy();

    expect(answer.StatusCode).toBe(200);
    expect(answer.FunctionError).toBe('Unhandled');
    expect(JSON.parse(new TextDecoder().decode(answer.Payload))).toMatchObject({
      errorType: 'Runtime.ExitError',
    });
  });
});

describe('how a function’s failure reaches the state machine', () => {
  it('fails a timed-out Task with Sandbox.Timedout, and the execution with it when nothing catches it', async () => {
    // The fixture's functions time out after 10 s: 100 ms at this time scale.
    const execution = await run(purchase({ slowMs: 300 }));

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Sandbox.Timedout');
    expect(JSON.parse(execution.cause ?? '{}')).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringMatching(
        /^RequestId: \S+ Error: Task timed out after 0\.10 seconds$/,
      ),
    });
    const events = await history(execution.executionArn);
    expect(events.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({
      error: 'Sandbox.Timedout',
      cause: execution.cause,
    });
  });

  it('names an answer that carries no errorType Lambda.Unknown, as Step Functions does', () => {
    const payload = {
      errorMessage: '2026-01-05T10:00:00.000Z 7c1e Task timed out after 3.00 seconds',
    };

    const unknown = lambdaTaskError(payload);
    const named = lambdaTaskError({ errorType: 'TitleRefused', errorMessage: 'held', trace: [] });

    expect(unknown).toEqual({
      error: 'Lambda.Unknown',
      cause: `The cause could not be determined because Lambda did not return an error type. Returned payload: ${JSON.stringify(payload)}`,
    });
    expect(named).toEqual({
      error: 'TitleRefused',
      cause: JSON.stringify({ errorType: 'TitleRefused', errorMessage: 'held' }),
    });
  });
});

describe('a compensation that keeps failing (Retry with MaxDelaySeconds and FULL jitter, no Catch)', () => {
  /** A purchase whose grant is refused, so Refund runs, with every Refund invocation failing. */
  async function failingRefund() {
    local.messaging.faults.set(refundFunction, { fail: { probability: 1 } });
    const execution = await run(purchase({ grant: 'refuse' }));
    const events = await history(execution.executionArn);
    const refunds = events.filter(
      (e) => e.type === 'TaskScheduled' && scheduledSteps([e])[0] === 'Refund',
    );
    return { execution, events, refunds };
  }

  /** From the second Refund attempt to the fourth: the last two retry waits (a failing attempt takes no time). */
  function lastTwoWaits(refunds: HistoryEvent[]): number {
    return (refunds[3]?.timestamp?.getTime() ?? 0) - (refunds[1]?.timestamp?.getTime() ?? 0);
  }

  it('fails the execution at that step, with the function’s error, once its retries are spent', async () => {
    const { execution, events } = await failingRefund();

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Runtime.ExitError');
    expect(JSON.parse(execution.cause ?? '{}')).toMatchObject({ errorType: 'Runtime.ExitError' });
    expect(scheduledSteps(events)).toEqual([
      'Debit',
      'Grant',
      'Refund',
      'Refund',
      'Refund',
      'Refund',
    ]);
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'Runtime.ExitError', cause: execution.cause },
    });
    expect(events.map((e) => e.type)).not.toContain('FailStateEntered');
  });

  it('waits no longer than MaxDelaySeconds, scaled, between retries', async () => {
    // FULL jitter draws each wait between 0 and the computed one: drawing the top keeps it whole.
    vi.spyOn(Math, 'random').mockReturnValue(0.999_999);

    const { refunds } = await failingRefund();

    // Capped at 40 s, the two waits are 40 s + 40 s: 800 ms at this time scale. Uncapped (or
    // capped at an unscaled 40 s) they would be 80 s + 320 s: 4 s.
    expect(refunds).toHaveLength(4);
    expect(lastTwoWaits(refunds)).toBeGreaterThanOrEqual(790);
    expect(lastTwoWaits(refunds)).toBeLessThan(2_000);
  });

  it('draws each wait at random below the computed one (JitterStrategy FULL)', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);

    const { refunds } = await failingRefund();

    // Without the jitter the same two waits take 800 ms.
    expect(refunds).toHaveLength(4);
    expect(lastTwoWaits(refunds)).toBeLessThan(400);
  });
});

describe('the Step Functions API', () => {
  it('refuses a name used before with ExecutionAlreadyExists', async () => {
    const input = purchase();
    await run(input, input.purchaseId);

    const again = start(input, input.purchaseId);

    await expect(again).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('answers the same name and input of a running execution with the same execution', async () => {
    const input = purchase({ slowMs: 300 });
    const first = await start(input, input.purchaseId);

    const second = await start(input, input.purchaseId);
    const otherInput = start({ ...input, debit: 'rejected' }, input.purchaseId);

    expect(second.executionArn).toBe(first.executionArn);
    expect(second.startDate).toEqual(first.startDate);
    await expect(otherInput).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await ended(first.executionArn ?? '');
  });

  it('gives the history in Step Functions’ order and types, by page and in reverse', async () => {
    const { executionArn } = await run(purchase());

    const events = await history(executionArn);
    const firstPage = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 5 }),
    );
    const secondPage = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 5,
        nextToken: firstPage.nextToken,
      }),
    );
    const reversed = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }),
    );

    const task = [
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
    ];
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      ...task,
      'ChoiceStateEntered',
      'ChoiceStateExited',
      ...task,
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]?.timestamp).toBeInstanceOf(Date);
    expect([...(firstPage.events ?? []), ...(secondPage.events ?? [])].map((e) => e.id)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    expect(reversed.events?.map((e) => e.id)).toEqual(events.map((e) => e.id).reverse());
  });

  it('describes a failed execution with its error and cause', async () => {
    local.messaging.faults.set(grantFunction, { fail: { probability: 1 } });

    const { executionArn } = await run(purchase());
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));

    expect(described).toMatchObject({
      status: 'FAILED',
      error: 'PurchaseRefunded',
      stateMachineArn: sagaArn,
    });
    expect(described.stopDate?.getTime()).toBeGreaterThanOrEqual(
      described.startDate?.getTime() ?? 0,
    );
  });

  it('stops a running execution (ABORTED) and lists executions by status', async () => {
    const { executionArn = '' } = await start(purchase({ slowMs: 300 }));

    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Tour', cause: 'stopped' }));
    const aborted = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: sagaArn, statusFilter: 'ABORTED' }),
    );
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));

    expect(described).toMatchObject({ status: 'ABORTED', error: 'Tour', cause: 'stopped' });
    expect(aborted.executions?.map((e) => e.executionArn)).toEqual([executionArn]);
  });

  it('refuses an invalid name and an unknown operation', async () => {
    await expect(start(purchase(), 'has space')).rejects.toMatchObject({ name: 'InvalidName' });
    const response = await fetch(local.stepFunctionsUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AWSStepFunctions.CreateActivity',
      },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
  });

  it('refuses RedriveExecution, saying what it would do on AWS', async () => {
    const { executionArn } = await run(purchase({ debit: 'rejected' }));

    const redrive = sfn.send(new RedriveExecutionCommand({ executionArn }));

    await expect(redrive).rejects.toMatchObject({
      name: 'UnknownOperationException',
      message: expect.stringMatching(/^RedriveExecution is not served locally: .* 14 days/),
    });
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('FAILED');
  });

  it('scales a Retry interval by timeScale (1 s and 2 s become 10 ms and 20 ms)', async () => {
    local.messaging.faults.set(grantFunction, { fail: { times: 2 } });

    const { executionArn } = await run(purchase());

    const grants = (await history(executionArn)).filter(
      (e) => e.type === 'TaskScheduled' && scheduledSteps([e])[0] === 'Grant',
    );
    const waited =
      (grants.at(-1)?.timestamp?.getTime() ?? 0) - (grants[0]?.timestamp?.getTime() ?? 0);
    // 3 s at full time; the bound is loose (a busy machine is slow), and only upward.
    expect(grants).toHaveLength(3);
    expect(waited).toBeLessThan(1_500);
  });
});

describe('what fails the start', () => {
  function editedAssembly(edit: (resource: Record<string, unknown>) => void): string {
    const dir = mkdtempSync(join(tmpdir(), 'aws-local-saga-'));
    cpSync(SAGA_ASSEMBLY_DIR, dir, { recursive: true });
    const templateFile = readdirSync(dir).find((f) => f.endsWith('.template.json')) ?? '';
    const template = JSON.parse(readFileSync(join(dir, templateFile), 'utf8'));
    const [, saga] =
      Object.entries<Record<string, unknown>>(template.Resources).find(
        ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
      ) ?? [];
    if (saga) edit(saga);
    writeFileSync(join(dir, templateFile), JSON.stringify(template));
    return dir;
  }

  async function startError(assemblyDir: string): Promise<LocalAwsError> {
    const error = await startLocalAws({ assemblyDir, log: quiet }).then(
      async (started) => {
        await started.stop();
        throw new Error('started');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LocalAwsError);
    return error as LocalAwsError;
  }

  it('refuses an unmarked state machine, saying how to mark it', async () => {
    const dir = editedAssembly((saga) => {
      saga.Metadata = { 'aws:cdk:path': 'AwsLocalSaga/Saga/Resource' };
    });

    const error = await startError(dir);

    expect(error.message).toMatch(/markApplicationStateMachine/);
    expect(error.logicalId).toMatch(/^Saga/);
  });

  it('refuses a Task resource the engine cannot run, naming the state and the resource', async () => {
    const dir = editedAssembly((saga) => {
      const properties = saga.Properties as Record<string, unknown>;
      const text = JSON.stringify(properties.DefinitionString).replaceAll(
        // CDK writes the partition as a reference: `arn:${AWS::Partition}:states:::lambda:invoke`.
        ':states:::lambda:invoke',
        ':states:::lambda:invoke.waitForTaskToken',
      );
      properties.DefinitionString = JSON.parse(text);
    });

    const error = await startError(dir);

    expect(error.message).toMatch(
      /state "Debit": Task resource arn:aws:states:::lambda:invoke\.waitForTaskToken/,
    );
  });
});
