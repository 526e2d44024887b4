/*
 * The local AWS: serves a stage's own synthesized CDK app on this machine — its HTTP APIs, Lambda
 * functions (and the Lambda Invoke API), SQS queues, SNS topics, event source mappings and
 * schedules, S3 buckets, and state machines (and the Step Functions API) — with no Docker and no
 * AWS account. SAM CLI, LocalStack (whose image also needs an
 * auth token since 2026) and cdk-local run Lambda in Docker; serverless-offline needs a
 * serverless.yml. Here the application keeps the real AWS SDK v3, unchanged: every process and
 * function gets AWS_ENDPOINT_URL_SQS/_SNS/_S3/_LAMBDA/_SFN pointing at the local endpoints, so the same
 * code runs against this runtime, against LocalStack, and against AWS.
 *
 * Order of the start: fauxqs and the Invoke API listen first, on ports the OS picks, and the
 * HTTP APIs' ports are chosen, so that the model's references resolve to working local URLs;
 * then the model is built and every function's SDK imports are checked (any resource the runtime
 * cannot serve fails here, before anything runs; so does a state machine definition the engine
 * cannot run), then the Step Functions API, the Lambda environments, the HTTP APIs, and last the
 * mappings and schedules, which start invoking at once. A start that fails stops whatever it had
 * started.
 *
 * Order of the stop: first nothing new (running executions are aborted and call no function
 * again, mappings stop polling, schedules stop firing), then the environments, so an invocation in flight ends now rather than after its whole timeout (a batch
 * cut short comes back later: SQS delivers at least once), then the servers.
 */
import {
  buildModel,
  isolateModuleScope,
  readCloudAssembly,
  synthesizeApp,
} from './assembly/index.ts';
import { LOCAL_REGION } from './assembly/local-names.ts';
import { freePort } from './free-port.ts';
import type { RunningHttpApi } from './http-api/index.ts';
import { startHttpApi } from './http-api/index.ts';
import { withFunctionFaults } from './lambda/function-faults.ts';
import { createLambdaPool, startLambdaApi } from './lambda/index.ts';
import type { Invoker } from './lambda/invoker.ts';
import type { LambdaPool } from './lambda/pool.ts';
import { RESERVED_ENVIRONMENT_VARIABLES } from './lambda/reserved-variables.ts';
import { checkSdkImports } from './lambda/sdk-imports.ts';
import {
  type FaultSpec,
  Faults,
  type Messaging,
  type MessagingServer,
  openMessagingServer,
  serveMessaging,
} from './messaging/index.ts';
import { FAUXQS_ACCOUNT_ID, queueUrlFor } from './messaging/names.ts';
import { LOCAL_CREDENTIALS } from './messaging/server.ts';
import {
  LocalAwsError,
  type LocalAwsModel,
  type LocalEndpoints,
  type SuppliedValues,
} from './model.ts';
import type { LogSink } from './options.ts';
import {
  type StepFunctionsApi,
  StepFunctionsEngine,
  startStepFunctionsApi,
} from './stepfunctions/index.ts';

export type { FaultSpec, FaultSwitches } from './messaging/index.ts';
export { parseFaultSpecs } from './messaging/index.ts';
export { APPLICATION_FUNCTION_METADATA, APPLICATION_STATE_MACHINE_METADATA } from './metadata.ts';
export * from './model.ts';
export type { LogSink } from './options.ts';

export interface StartLocalAwsOptions {
  /** A synthesized cloud assembly (cdk.out) to serve as it is. */
  assemblyDir?: string;
  /** Or the CDK app to synthesize first (into `outdir`, e.g. <data folder>/cdk.out). */
  app?: { entry: string; cwd?: string; outdir: string };
  /** Values for the ignored resources the served ones refer to (a database endpoint…). */
  supplied?: SuppliedValues;
  /**
   * Variables set in every application function over the template's, as `sam local invoke
   * --env-vars` does: what only this machine knows (the embedded database's URL). Logged at start
   * by name, never silently; a variable Lambda reserves is refused like one in the template.
   */
  functionEnvironment?: Record<string, string>;
  /** Multiplies every duration of the templates (see RuntimeOptions); default 1, logged otherwise. */
  timeScale?: number;
  /**
   * The local cap on environments per function without reserved concurrency (default
   * DEFAULT_LOCAL_CONCURRENCY); calls beyond it wait for a warm one, never throttled. Logged.
   */
  localConcurrency?: number;
  /**
   * Where the S3 buckets keep their objects, as files a learner can open (the runner gives
   * `<data folder>/s3`); kept across restarts. Without it, objects live in memory.
   */
  s3StorageDir?: string;
  /**
   * Fault switches on from the start (`parseFaultSpecs('queue=orders,duplicate')`,
   * `parseFaultSpecs('function=Grant,fail=once')`).
   */
  faults?: FaultSpec[];
  /** Where the runtime's lines and the functions' logs go; source first. */
  log?: LogSink;
}

export interface LocalAws {
  model: LocalAwsModel;
  endpoints: LocalEndpoints;
  /**
   * What every process of the stage (and every function) is given: the endpoint variables, a
   * region, and fake credentials (the SDK refuses to sign without some; nothing checks them).
   */
  env: Record<string, string>;
  /** Each HTTP API's base URL, by logical id. */
  httpApiUrls: Record<string, string>;
  /** Each queue's URL, by logical id: what a process polling it is given, as on AWS. */
  queueUrls: Record<string, string>;
  /** Each bucket's name, by logical id: what a function or process is given, as on AWS. */
  bucketNames: Record<string, string>;
  /** Each application state machine's ARN, by logical id: what StartExecution is given. */
  stateMachineArns: Record<string, string>;
  /** The Step Functions API (AWS_ENDPOINT_URL_SFN). */
  stepFunctionsUrl: string;
  /**
   * The fault switches (`messaging.faults`: one registry for queues, mappings, topics and
   * functions), and fauxqs's view of the queues.
   */
  messaging: Messaging;
  /** Invokes the functions as every caller does: through their fault switches. */
  invoker: Invoker;
  /**
   * Stops the schedules and mappings from starting new work, ends the functions' environments
   * (invocations in flight end at once), then the HTTP APIs, the Invoke API and fauxqs. Calling
   * it again returns the same promise.
   */
  stop(): Promise<void>;
}

export async function startLocalAws(options: StartLocalAwsOptions): Promise<LocalAws> {
  const log: LogSink =
    options.log ?? ((source, line) => process.stdout.write(`[${source}] ${line}\n`));
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new RangeError(`timeScale must be above 0, not ${timeScale}`);
  const assemblyDir = await assemblyFolder(options, log);
  const assembly = readCloudAssembly(assemblyDir);
  isolateModuleScope(assembly.dir);

  // What is running so far; stop() ends it in the order the header comment gives.
  let server: MessagingServer | undefined;
  let lambdaApi: Awaited<ReturnType<typeof startLambdaApi>> | undefined;
  let pool: LambdaPool | undefined;
  let invoker: Invoker | undefined;
  let engine: StepFunctionsEngine | undefined;
  let sfnApi: StepFunctionsApi | undefined;
  const httpApiServers: RunningHttpApi[] = [];
  let messaging: Messaging | undefined;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      // Not awaited yet: they flag the executions, pollers and schedules at once, then wait for
      // their work, which the environments' end below cuts short.
      const executionsStopped = engine?.stop();
      const triggersStopped = messaging?.stopTriggers();
      await quietly(pool?.stop());
      await quietly(executionsStopped);
      await quietly(triggersStopped);
      await quietly(sfnApi?.stop());
      await Promise.all(httpApiServers.map((api) => quietly(api.stop())));
      await quietly(lambdaApi?.stop());
      // fauxqs is closed here, once (not by messaging.stop(), which would close it again).
      await quietly(server?.close());
    })();
    return stopped;
  };
  try {
    server = await openMessagingServer({
      port: 0,
      ...(options.s3StorageDir === undefined ? {} : { s3StorageDir: options.s3StorageDir }),
    });
    // The Invoke API listens before the model is built (its URL goes into the model) and serves
    // the pool once it exists; until then it knows no function, and nobody knows its URL yet.
    lambdaApi = await startLambdaApi(
      forwardingInvoker(() => invoker),
      { port: 0, log },
    );
    const httpApis: Record<string, string> = {};
    for (const logicalId of httpApiIds(assembly)) {
      // A port chosen now and bound once the model is built: should another program take it in
      // between, the HTTP API's listen fails, and so does the start, stopping what it started.
      httpApis[logicalId] = `http://127.0.0.1:${await freePort()}`;
    }
    const endpoints: LocalEndpoints = {
      messaging: server.endpoint,
      lambda: lambdaApi.url,
      httpApis,
    };
    const model = buildModel({ assembly, endpoints, supplied: options.supplied ?? {} });
    checkSdkImports(model.functions);
    // One registry for every fault switch: the queues', mappings', topics' and functions'.
    const faults = new Faults(log);
    engine = new StepFunctionsEngine(model.stateMachines, {
      invoker: forwardingInvoker(() => invoker),
      region: model.region,
      timeScale,
      log,
    });
    sfnApi = await startStepFunctionsApi(engine, { port: 0, log });
    const env = endpointEnvironment(endpoints, sfnApi.url);
    if (timeScale !== 1) {
      log(
        'aws-local',
        `time scale ${timeScale}: every duration of the template runs ${1 / timeScale}× as fast`,
      );
    }

    const overrides = checkedOverrides(options.functionEnvironment ?? {});
    if (Object.keys(overrides).length > 0) {
      log(
        'aws-local',
        `set in every function over the template: ${Object.keys(overrides).join(', ')}`,
      );
    }
    pool = createLambdaPool(model.functions, {
      timeScale,
      log,
      env: { ...overrides, ...env },
      ...(options.localConcurrency === undefined
        ? {}
        : { defaultConcurrency: options.localConcurrency }),
    });
    if (options.localConcurrency !== undefined) {
      log(
        'aws-local',
        `at most ${options.localConcurrency} environments per function without reserved concurrency`,
      );
    }
    invoker = withFunctionFaults(pool, model.functions, faults, log);
    const httpApiUrls: Record<string, string> = {};
    for (const api of model.httpApis) {
      const port = Number(new URL(httpApis[api.logicalId] ?? '').port);
      const running = await startHttpApi(api, invoker, {
        port,
        timeScale,
        log,
        accountId: model.accountId,
      });
      httpApiServers.push(running);
      httpApiUrls[api.logicalId] = running.url;
    }
    messaging = await serveMessaging(server, model, { invoker, faults, timeScale, log });
    for (const { target, switches } of options.faults ?? []) faults.set(target, switches);

    logServed(model, endpoints, httpApiUrls, sfnApi.url, log);
    const queueUrls = Object.fromEntries(
      model.queues.map((queue) => [
        queue.logicalId,
        queueUrlFor(endpoints.messaging, FAUXQS_ACCOUNT_ID, queue.name),
      ]),
    );
    const bucketNames = Object.fromEntries(model.buckets.map((b) => [b.logicalId, b.name]));
    const stateMachineArns = Object.fromEntries(
      model.stateMachines.map((machine) => [machine.logicalId, machine.arn]),
    );
    return {
      model,
      endpoints,
      env,
      httpApiUrls,
      queueUrls,
      bucketNames,
      stateMachineArns,
      stepFunctionsUrl: sfnApi.url,
      messaging,
      invoker,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Waits for a step of the stop; one that fails must not keep the others from running. */
async function quietly(step: Promise<void> | undefined): Promise<void> {
  await step?.catch(() => {});
}

/** An Invoker that forwards to one created later; before then it knows no function. */
function forwardingInvoker(target: () => Invoker | undefined): Invoker {
  const get = (ref: string) => {
    const invoker = target();
    if (!invoker) throw new Error(`Function not found: ${ref}`);
    return invoker;
  };
  return {
    has: (ref) => target()?.has(ref) ?? false,
    invoke: (ref, event, options) => get(ref).invoke(ref, event, options),
    discardEnvironments: (ref) => get(ref).discardEnvironments(ref),
  };
}

async function assemblyFolder(options: StartLocalAwsOptions, log: LogSink): Promise<string> {
  if (options.assemblyDir !== undefined) return options.assemblyDir;
  if (options.app === undefined) throw new TypeError('startLocalAws needs assemblyDir or app');
  log('aws-local', `synthesizing ${options.app.entry}`);
  return synthesizeApp({ ...options.app, log: (line) => log('cdk synth', line) });
}

/** The HTTP APIs' logical ids, known from the template before the model is built. */
function httpApiIds(assembly: ReturnType<typeof readCloudAssembly>): string[] {
  return assembly.stacks.flatMap((stack) =>
    Object.entries(stack.template.Resources ?? {})
      .filter(([, resource]) => resource.Type === 'AWS::ApiGatewayV2::Api')
      .map(([logicalId]) => logicalId),
  );
}

function endpointEnvironment(
  endpoints: LocalEndpoints,
  stepFunctions: string,
): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SQS: endpoints.messaging,
    AWS_ENDPOINT_URL_SNS: endpoints.messaging,
    // An IP address for a host: the SDK's S3 client then addresses buckets path-style
    // (http://127.0.0.1:<port>/<bucket>/<key>), with no DNS name per bucket to resolve.
    AWS_ENDPOINT_URL_S3: endpoints.messaging,
    AWS_ENDPOINT_URL_LAMBDA: endpoints.lambda,
    AWS_ENDPOINT_URL_SFN: stepFunctions,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  };
}

/**
 * One line per thing served and per thing left out, so a learner sees what runs where. (The
 * messaging logs its queues, mappings and schedules itself as it creates them.)
 */
function logServed(
  model: LocalAwsModel,
  endpoints: LocalEndpoints,
  httpApiUrls: Record<string, string>,
  stepFunctionsUrl: string,
  log: LogSink,
): void {
  const say = (line: string) => log('aws-local', line);
  const nameOf = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);
  for (const api of model.httpApis) {
    say(`HTTP API ${api.logicalId} at ${httpApiUrls[api.logicalId]} (stage ${api.stageName})`);
    for (const route of api.routes) say(`  ${route.routeKey} → ${route.functionName}`);
  }
  say(`Lambda Invoke API at ${endpoints.lambda}: ${model.functions.map((f) => f.name).join(', ')}`);
  say(`Step Functions API at ${stepFunctionsUrl}`);
  for (const machine of model.stateMachines) {
    // The ARN, not only the name: it is what StartExecution and the lab's `saga` CLI are given.
    say(`  state machine ${machine.arn} (${machine.type}, aws-local-stepfunctions)`);
  }
  say(`SQS, SNS and S3 (fauxqs) at ${endpoints.messaging}`);
  for (const topic of model.topics) say(`  topic ${topic.name}`);
  for (const sub of model.subscriptions) {
    const raw = sub.rawMessageDelivery ? ' (raw)' : '';
    const filter = sub.filterPolicy ? ` if ${JSON.stringify(sub.filterPolicy)}` : '';
    say(`  ${nameOf(sub.topicArn)} → ${nameOf(sub.endpoint)}${raw}${filter}`);
  }
  // One line per reason, not per resource: a stage's VPC alone is dozens of resources.
  const byReason = Map.groupBy(model.ignored, (ignored) => ignored.reason);
  for (const [reason, resources] of byReason) {
    say(`ignored ${describeResources(resources)}: ${reason}`);
  }
}

/** A few resources by logical id and type; more as a count per type. */
function describeResources(resources: { logicalId: string; type: string }[]): string {
  if (resources.length <= 3) return resources.map((r) => `${r.logicalId} (${r.type})`).join(', ');
  const counts = Map.groupBy(resources, (r) => r.type);
  const types = [...counts].map(([type, ofType]) => `${ofType.length} × ${type}`).join(', ');
  return `${resources.length} resources (${types})`;
}

/** The stage's function variables, refused by the same rule as the template's. */
function checkedOverrides(variables: Record<string, string>): Record<string, string> {
  for (const key of Object.keys(variables)) {
    if (RESERVED_ENVIRONMENT_VARIABLES.has(key)) {
      throw new LocalAwsError(
        `functionEnvironment: ${key} is reserved by Lambda, which sets it itself; remove it`,
      );
    }
  }
  return variables;
}
