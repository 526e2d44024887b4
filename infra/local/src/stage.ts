import type { SuppliedValues } from '@course/aws-local';

/*
 * How a stage tells the local runner what to start. Each stage folder has a `stage.ts` whose default
 * export `satisfies StageDefinition`; `pnpm start <stage>` reads it and does the rest.
 */

/** A database the stage owns: one embedded Postgres each, unless a server URL is given. */
export interface DatabaseDefinition {
  /** Also the key in StageContext.databaseUrls and the data folder name, e.g. "monolith". */
  name: string;
  /** Absolute path of schema.prisma (or of a folder of .prisma files). */
  schemaPath: string;
  /** Absolute path of the prisma/migrations folder. */
  migrationsDir: string;
  /** Runs after the migrations, to completion, at every start: it must be idempotent. */
  seed?: ProcessDefinition;
}

/** A process of the stage, started as a child process. */
export interface ProcessDefinition {
  /** Prefix of its log lines, e.g. "monolith". */
  name: string;
  /** Absolute working directory. */
  cwd: string;
  /**
   * e.g. ['tsx', 'src/server.ts']. Looked up in <cwd>/node_modules/.bin, then the workspace's
   * node_modules/.bin, then PATH; 'node' is the Node that runs the runner.
   */
  command: string[];
  /** Extra environment variables, added to the runner's own environment. */
  env?: (ctx: StageContext) => Record<string, string>;
  /** e.g. '/readyz': the runner waits until GET http://127.0.0.1:<port><readyPath> answers 2xx. */
  readyPath?: string;
  /** The port it listens on; required with readyPath. */
  port?: (ctx: StageContext) => number;
}

/** What the runner knows once the databases are up, passed to the env and port functions. */
export interface StageContext {
  /** Connection URL per database name. */
  databaseUrls: Record<string, string>;
  /** The port of the stage's front door (PORT, 3000 by default). */
  publicPort: number;
  /** A port per process name: publicPort for the public process, a free one for the others. */
  ports: Record<string, number>;
  /** This stage's data folder, e.g. <repo>/.data/00-monolith. */
  dataDir: string;
  secrets: {
    /** A private Ed25519 JWK (JSON text), created once per data folder and kept there. */
    jwtPrivateJwk: string;
  };
  /**
   * The base URL of each HTTP API of the stage's CDK app, by its logical id, once the local AWS
   * runs (empty for a stage without `localAws`): a gateway process routes to them.
   */
  httpApis: Record<string, string>;
  /**
   * Each application function's local name by its logical id (for a stage with `localAws`):
   * what a process passes to the Lambda Invoke API, as it would pass the deployed name.
   */
  functionNames: Record<string, string>;
  /** Each queue's URL by its logical id (for a stage with `localAws`): what a poller reads. */
  queueUrls: Record<string, string>;
  /**
   * Each S3 bucket's name by its logical id (for a stage with `localAws`); its objects are files
   * under `<data folder>/s3`.
   */
  bucketNames: Record<string, string>;
  /**
   * Each application state machine's ARN by its logical id (for a stage with `localAws`): what a
   * process or function passes to StartExecution, as it would pass the deployed ARN.
   */
  stateMachineArns: Record<string, string>;
}

/**
 * The serverless part of a stage, served from its own CDK app by the local AWS runtime
 * (@course/aws-local): HTTP APIs, Lambda functions, queues, topics, event source mappings.
 */
export interface LocalAwsDefinition {
  /** Absolute path of the stage's CDK app entry, e.g. <stage>/cdk/app.ts. */
  app: string;
  /**
   * Values for resources the runtime does not emulate but the served ones refer to, by logical id
   * and attribute: e.g. the embedded database's host for an RDS instance's `Endpoint.Address`.
   */
  supplied?: (ctx: StageContext) => SuppliedValues;
  /**
   * Variables set in every application function over its template's (as `sam local invoke
   * --env-vars` does): what only this machine knows, e.g. the embedded database's URL.
   */
  functionEnvironment?: (ctx: StageContext) => Record<string, string>;
  /**
   * At most this many environments per function (without reserved concurrency) on this machine;
   * more calls wait for a warm one. By default the runtime's own cap (10).
   */
  localConcurrency?: number;
}

export interface StageDefinition {
  /** e.g. '00' */
  id: string;
  /** e.g. 'monolith' */
  title: string;
  databases: DatabaseDefinition[];
  /**
   * Run to completion, in this order, once every database is migrated and seeded and before
   * any process starts: work that needs more than one database, e.g. moving data between them.
   */
  tasks?: ProcessDefinition[];
  /**
   * Started after the databases and tasks, before the processes; every process then gets its
   * AWS_ENDPOINT_URL_SQS/_SNS/_LAMBDA, a region and fake credentials.
   */
  localAws?: LocalAwsDefinition;
  /** Started in this order; each one is ready before the next starts. */
  processes: ProcessDefinition[];
  /** The name of the process that serves the stage's URL. */
  publicProcess: string;
}
