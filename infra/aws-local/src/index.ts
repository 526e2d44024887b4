/*
 * The local AWS: serves a stage's own synthesized CDK app on this machine — its HTTP APIs, Lambda
 * functions (and the Lambda Invoke API), SQS queues, SNS topics, event source mappings and
 * schedules — with no Docker and no AWS account. SAM CLI, LocalStack (whose image also needs an
 * auth token since 2026) and cdk-local run Lambda in Docker; serverless-offline needs a
 * serverless.yml. Here the application keeps the real AWS SDK v3, unchanged: every process and
 * function gets AWS_ENDPOINT_URL_SQS/_SNS/_LAMBDA pointing at the local endpoints, so the same
 * code runs against this runtime, against LocalStack, and against AWS.
 *
 * Order of the start: fauxqs listens first and the other ports are chosen, so that the model's
 * references resolve to working local URLs; then the model is built (any resource the runtime
 * cannot serve fails here, before anything runs), then the Lambda environments, the Invoke API,
 * the HTTP APIs, and last the mappings and schedules, which start invoking at once.
 */
import {
  buildModel,
  isolateModuleScope,
  readCloudAssembly,
  synthesizeApp,
} from './assembly/index.ts';
import { LOCAL_REGION } from './assembly/local-names.ts';
import { freePort } from './free-port.ts';
import { startHttpApi } from './http-api/index.ts';
import { createLambdaPool, startLambdaApi } from './lambda/index.ts';
import type { Invoker } from './lambda/invoker.ts';
import {
  type FaultSpec,
  type Messaging,
  openMessagingServer,
  serveMessaging,
} from './messaging/index.ts';
import { LOCAL_CREDENTIALS } from './messaging/server.ts';
import type { LocalAwsModel, LocalEndpoints, SuppliedValues } from './model.ts';
import type { LogSink } from './options.ts';

export type { FaultSpec, FaultSwitches } from './messaging/index.ts';
export { parseFaultSpecs } from './messaging/index.ts';
export { APPLICATION_FUNCTION_METADATA } from './metadata.ts';
export * from './model.ts';
export type { LogSink } from './options.ts';

export interface StartLocalAwsOptions {
  /** A synthesized cloud assembly (cdk.out) to serve as it is. */
  assemblyDir?: string;
  /** Or the CDK app to synthesize first (into `outdir`, e.g. <data folder>/cdk.out). */
  app?: { entry: string; cwd?: string; outdir: string };
  /** Values for the ignored resources the served ones refer to (a database endpoint…). */
  supplied?: SuppliedValues;
  /** Multiplies every duration of the templates (see RuntimeOptions); default 1, logged otherwise. */
  timeScale?: number;
  /** Fault switches on from the start (`parseFaultSpecs('queue=orders,duplicate')`). */
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
  /** The fault switches, and fauxqs's view of the queues. */
  messaging: Messaging;
  invoker: Invoker;
  /** Stops the schedules and mappings, the HTTP APIs, the Invoke API, the functions, fauxqs. */
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

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  try {
    const server = await openMessagingServer({ port: 0 });
    let closeServer = () => server.close();
    stops.push(() => closeServer());
    const lambdaPort = await freePort();
    const httpApis: Record<string, string> = {};
    for (const logicalId of httpApiIds(assembly)) {
      httpApis[logicalId] = `http://127.0.0.1:${await freePort()}`;
    }
    const endpoints: LocalEndpoints = {
      messaging: server.endpoint,
      lambda: `http://127.0.0.1:${lambdaPort}`,
      httpApis,
    };
    const model = buildModel({ assembly, endpoints, supplied: options.supplied ?? {} });
    const env = endpointEnvironment(endpoints);
    if (timeScale !== 1) {
      log(
        'aws-local',
        `time scale ${timeScale}: every duration of the template runs ${1 / timeScale}× as fast`,
      );
    }

    const pool = createLambdaPool(model.functions, { timeScale, log, env });
    stops.push(() => pool.stop());
    const lambdaApi = await startLambdaApi(pool, { port: lambdaPort, log });
    stops.push(() => lambdaApi.stop());
    const httpApiUrls: Record<string, string> = {};
    for (const api of model.httpApis) {
      const port = Number(new URL(httpApis[api.logicalId] ?? '').port);
      const running = await startHttpApi(api, pool, {
        port,
        timeScale,
        log,
        accountId: model.accountId,
      });
      stops.push(() => running.stop());
      httpApiUrls[api.logicalId] = running.url;
    }
    const messaging = await serveMessaging(server, model, { invoker: pool, timeScale, log });
    // Stopped first: its mappings and schedules stop invoking, then it closes fauxqs.
    closeServer = async () => {};
    stops.push(() => messaging.stop());
    for (const { target, switches } of options.faults ?? []) messaging.faults.set(target, switches);

    logServed(model, endpoints, httpApiUrls, log);
    return { model, endpoints, env, httpApiUrls, messaging, invoker: pool, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
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

function endpointEnvironment(endpoints: LocalEndpoints): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SQS: endpoints.messaging,
    AWS_ENDPOINT_URL_SNS: endpoints.messaging,
    AWS_ENDPOINT_URL_LAMBDA: endpoints.lambda,
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
  log: LogSink,
): void {
  const say = (line: string) => log('aws-local', line);
  const nameOf = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);
  for (const api of model.httpApis) {
    say(`HTTP API ${api.logicalId} at ${httpApiUrls[api.logicalId]} (stage ${api.stageName})`);
    for (const route of api.routes) say(`  ${route.routeKey} → ${route.functionName}`);
  }
  say(`Lambda Invoke API at ${endpoints.lambda}: ${model.functions.map((f) => f.name).join(', ')}`);
  say(`SQS and SNS (fauxqs) at ${endpoints.messaging}`);
  for (const topic of model.topics) say(`  topic ${topic.name}`);
  for (const sub of model.subscriptions) {
    const raw = sub.rawMessageDelivery ? ' (raw)' : '';
    const filter = sub.filterPolicy ? ` if ${JSON.stringify(sub.filterPolicy)}` : '';
    say(`  ${nameOf(sub.topicArn)} → ${nameOf(sub.endpoint)}${raw}${filter}`);
  }
  for (const ignored of model.ignored) {
    say(`ignored ${ignored.logicalId} (${ignored.type}): ${ignored.reason}`);
  }
}
