import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultSpec, LocalAws } from '@course/aws-local';
import { Child, ChildFailedError, type ChildOptions, runToCompletion } from './child-process.ts';
import { freePort } from './free-port.ts';
import type { Logger } from './logger.ts';
import { applyMigrations } from './migrate.ts';
import { embeddedDatabaseOwner, startEmbeddedPostgres } from './postgres.ts';
import { loadOrCreateSigningKey, signingKeyPath } from './signing-key.ts';
import type {
  DatabaseDefinition,
  ProcessDefinition,
  StageContext,
  StageDefinition,
} from './stage.ts';
import { workspaceRoot } from './workspace.ts';

export interface RunningStage {
  /** e.g. http://localhost:3000 */
  url: string;
  /** Each process's own address by name, e.g. { monolith: 'http://127.0.0.1:41234' }. */
  processUrls: Record<string, string>;
  /** Stops the processes (SIGTERM, then SIGKILL after the grace period), then the databases. */
  stop(): Promise<void>;
  /** Settles if a process exits on its own (a crash) while the stage runs; never on stop(). */
  exited: Promise<{ name: string; code: number | null; signal: NodeJS.Signals | null }>;
  /** What the processes were given: database URLs, ports, and the local AWS's names and URLs. */
  context: StageContext;
  /**
   * For a stage with `localAws`: the running local AWS — its endpoints and environment, its fault
   * switches (`messaging.faults.set(…)` while the stage runs) and its invoker. Tests use it.
   */
  localAws?: LocalAws;
}

export interface StartStageOptions {
  /** The port of the public process; 3000 by default. */
  publicPort?: number;
  /** Where databases and the signing key live; <repo>/.data/<id>-<title> (00-monolith) by default. */
  dataDir?: string;
  /** A Postgres server to use instead of embedded Postgres (single-database stages). */
  databaseUrl?: string;
  /** Receives every log line (runner, databases, prefixed child output); stdout by default. */
  log?: (line: string) => void;
  /**
   * Where DATABASE_URL and DATABASE_URL_<NAME> (one per database, e.g. DATABASE_URL_SLOTS) are
   * read from; process.env by default.
   */
  env?: NodeJS.ProcessEnv;
  /** How long a process may take to answer its readyPath; 60 s by default. */
  readyTimeoutMs?: number;
  /** How long a process may take to exit after SIGTERM before it is killed; 10 s by default. */
  stopGraceMs?: number;
  /** Colour the "[name]" prefixes; by default when stdout is a terminal and NO_COLOR is unset. */
  color?: boolean;
  /** Aborting it during start-up (Ctrl-C) stops what was started and rejects. */
  signal?: AbortSignal;
  /** For a stage with `localAws`: a time scale (tests) and fault switches on from the start. */
  localAws?: { timeScale?: number; faults?: FaultSpec[] };
}

interface Settings {
  publicPort: number;
  dataDir: string;
  databaseUrl: string | undefined;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  readyTimeoutMs: number;
  stopGraceMs: number;
  color: boolean;
  signal: AbortSignal;
  localAws: NonNullable<StartStageOptions['localAws']>;
}

/** ANSI colours for "[name]" prefixes: one per process, grey for seeds. */
const PREFIX_COLORS = [36, 35, 33, 32, 34];
const SEED_COLOR = 90;

/**
 * Runs a stage on this machine: databases (embedded Postgres unless a URL is given), migrations,
 * seeds, then each process, waiting for it to be ready. If anything fails on the way, whatever was
 * started is stopped again before the error is thrown.
 */
export async function startStage(
  def: StageDefinition,
  opts: StartStageOptions = {},
): Promise<RunningStage> {
  const settings = resolveSettings(def, opts);
  const publicProcess = findPublicProcess(def);
  const shutdown = new ShutdownList();
  try {
    const databaseUrls = await startDatabases(def, settings, shutdown);
    const ctx: StageContext = {
      databaseUrls,
      publicPort: settings.publicPort,
      ports: await processPorts(def, settings.publicPort),
      dataDir: settings.dataDir,
      secrets: { jwtPrivateJwk: await loadOrCreateSigningKey(settings.dataDir) },
      httpApis: {},
      functionNames: {},
      queueUrls: {},
      bucketNames: {},
      stateMachineArns: {},
    };
    await migrateAndSeed(def.databases, ctx, settings);
    for (const task of def.tasks ?? []) {
      settings.signal.throwIfAborted();
      await runToCompletion(childOptions(task, ctx, settings, SEED_COLOR));
    }
    const localAws = await startStageAws(def, ctx, settings, shutdown);
    const children = await startProcesses(def.processes, ctx, settings, shutdown, localAws?.env);

    const url = `http://localhost:${publicProcess.port?.(ctx) ?? settings.publicPort}`;
    settings.log(`Stage ${def.id} (${def.title}) is ready at ${url}`);
    const processUrls = Object.fromEntries(
      def.processes.flatMap((p) => (p.port ? [[p.name, `http://127.0.0.1:${p.port(ctx)}`]] : [])),
    );
    return {
      url,
      processUrls,
      stop: () => shutdown.run(),
      exited: firstExitBeforeStop(children, shutdown),
      context: ctx,
      ...(localAws === undefined ? {} : { localAws }),
    };
  } catch (error) {
    await shutdown.run().catch(() => {}); // the original error is the one worth reporting
    throw error;
  }
}

/**
 * Forgets a stage's local data — each embedded database in its data folder and the signing key —
 * so that the next start migrates and seeds afresh (and tokens issued before stop working).
 * Anything else in the folder stays, and so does a server named by DATABASE_URL. While the stage
 * is running it refuses and deletes nothing. Returns the paths it deleted.
 */
export function resetStageData(def: StageDefinition, opts: { dataDir?: string } = {}): string[] {
  const dataDir = stageDataDir(def, opts.dataDir);
  const databases = def.databases.map((db) => join(dataDir, db.name));
  for (const database of databases) {
    const owner = embeddedDatabaseOwner(database);
    if (owner !== null) {
      throw new Error(
        `Stage ${def.id} is running (process ${owner} has ${database} open): stop it first.`,
      );
    }
  }
  // The local AWS's S3 objects (the audit log of stage 04) belong to the same data: the events
  // they record would otherwise outlive the databases they came from.
  const deleted = [...databases, signingKeyPath(dataDir), s3StorageDir(dataDir)].filter((path) =>
    existsSync(path),
  );
  for (const path of deleted) rmSync(path, { recursive: true, force: true });
  // Lock files left behind by a stage that was killed.
  for (const database of databases) rmSync(`${database}.lock`, { force: true });
  return deleted;
}

/** Where the local AWS keeps S3 objects as files, so a learner can open them. */
function s3StorageDir(dataDir: string): string {
  return join(dataDir, 's3');
}

function stageDataDir(def: StageDefinition, dataDir: string | undefined): string {
  return resolve(dataDir ?? join(workspaceRoot, '.data', `${def.id}-${def.title}`));
}

function resolveSettings(def: StageDefinition, opts: StartStageOptions): Settings {
  const env = opts.env ?? process.env;
  return {
    publicPort: opts.publicPort ?? 3000,
    dataDir: stageDataDir(def, opts.dataDir),
    databaseUrl: opts.databaseUrl ?? (env.DATABASE_URL || undefined),
    env,
    log: opts.log ?? ((line) => process.stdout.write(`${line}\n`)),
    readyTimeoutMs: opts.readyTimeoutMs ?? 60_000,
    stopGraceMs: opts.stopGraceMs ?? 10_000,
    color: opts.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR),
    signal: opts.signal ?? new AbortController().signal,
    localAws: opts.localAws ?? {},
  };
}

function findPublicProcess(def: StageDefinition): ProcessDefinition {
  const found = def.processes.find((p) => p.name === def.publicProcess);
  if (found === undefined) {
    throw new Error(
      `Stage ${def.id}: publicProcess "${def.publicProcess}" is not in its processes`,
    );
  }
  return found;
}

/** The public process listens on the public port; every other process on a free one. */
async function processPorts(
  def: StageDefinition,
  publicPort: number,
): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  for (const { name } of def.processes) {
    ports[name] = name === def.publicProcess ? publicPort : await freePort();
  }
  return ports;
}

/** One database URL per database name: configured, or a freshly started embedded Postgres. */
async function startDatabases(
  def: StageDefinition,
  settings: Settings,
  shutdown: ShutdownList,
): Promise<Record<string, string>> {
  const urls: Record<string, string> = {};
  for (const db of def.databases) {
    const log = prefixedLogger(`[postgres:${db.name}]`, settings.log);
    const configured = configuredDatabaseUrl(def, db, settings);
    if (configured !== undefined) {
      log.info({}, 'using the configured database server');
      urls[db.name] = configured;
      continue;
    }
    const embedded = await startEmbeddedPostgres({ dataDir: join(settings.dataDir, db.name), log });
    shutdown.add(() => embedded.stop());
    settings.signal.throwIfAborted();
    log.info({}, `connect with: psql ${embedded.url}`);
    urls[db.name] = embedded.url;
  }
  return urls;
}

/** DATABASE_URL_<NAME> for that database; DATABASE_URL when the stage has only one database. */
function configuredDatabaseUrl(
  def: StageDefinition,
  db: DatabaseDefinition,
  settings: Settings,
): string | undefined {
  const specific = settings.env[databaseUrlVariable(db.name)];
  if (specific) return specific;
  if (settings.databaseUrl === undefined) return undefined;
  if (def.databases.length === 1) return settings.databaseUrl;
  const variables = def.databases.map((d) => databaseUrlVariable(d.name)).join(', ');
  throw new Error(
    `Stage ${def.id} has one database per service, but DATABASE_URL names a single database. ` +
      `Set ${variables} instead, or unset DATABASE_URL to use embedded Postgres.`,
  );
}

/** "slots" -> DATABASE_URL_SLOTS, "read-model" -> DATABASE_URL_READ_MODEL */
export function databaseUrlVariable(databaseName: string): string {
  return `DATABASE_URL_${databaseName.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

async function migrateAndSeed(
  databases: DatabaseDefinition[],
  ctx: StageContext,
  settings: Settings,
): Promise<void> {
  for (const db of databases) {
    settings.signal.throwIfAborted();
    const databaseUrl = ctx.databaseUrls[db.name] ?? '';
    await applyMigrations({
      databaseUrl,
      schemaPath: db.schemaPath,
      migrationsDir: db.migrationsDir,
      log: prefixedLogger(`[migrate:${db.name}]`, settings.log),
    });
    if (db.seed !== undefined) {
      await runToCompletion(childOptions(db.seed, ctx, settings, SEED_COLOR));
    }
  }
}

/**
 * The stage's CDK app, synthesized into its data folder and served by the local AWS; its HTTP
 * APIs' URLs go into the context, for the processes' env functions.
 */
async function startStageAws(
  def: StageDefinition,
  ctx: StageContext,
  settings: Settings,
  shutdown: ShutdownList,
): Promise<LocalAws | undefined> {
  if (def.localAws === undefined) return undefined;
  settings.signal.throwIfAborted();
  // Loaded only for a stage that has one: stages 00 to 02 do not pay for fauxqs and the SDK.
  const { startLocalAws } = await import('@course/aws-local');
  const local = await startLocalAws({
    app: { entry: def.localAws.app, outdir: join(settings.dataDir, 'cdk.out') },
    supplied: def.localAws.supplied?.(ctx) ?? {},
    functionEnvironment: def.localAws.functionEnvironment?.(ctx) ?? {},
    ...(def.localAws.localConcurrency === undefined
      ? {}
      : { localConcurrency: def.localAws.localConcurrency }),
    // Objects as files in the stage's data folder, kept across restarts, for a learner to open.
    s3StorageDir: s3StorageDir(settings.dataDir),
    timeScale: settings.localAws.timeScale ?? 1,
    faults: settings.localAws.faults ?? [],
    log: (source, line) => settings.log(`[${source}] ${line}`),
  });
  shutdown.add(() => local.stop());
  ctx.httpApis = local.httpApiUrls;
  ctx.functionNames = Object.fromEntries(local.model.functions.map((f) => [f.logicalId, f.name]));
  ctx.queueUrls = local.queueUrls;
  ctx.bucketNames = local.bucketNames;
  ctx.stateMachineArns = local.stateMachineArns;
  return local;
}

async function startProcesses(
  processes: ProcessDefinition[],
  ctx: StageContext,
  settings: Settings,
  shutdown: ShutdownList,
  awsEnv: Record<string, string> = {},
): Promise<Child[]> {
  const children: Child[] = [];
  for (const [index, definition] of processes.entries()) {
    settings.signal.throwIfAborted();
    const color = PREFIX_COLORS[index % PREFIX_COLORS.length] ?? SEED_COLOR;
    const options = childOptions(definition, ctx, settings, color);
    // The stage's own variables win: a stage may point one process at real AWS on purpose.
    const child = new Child({ ...options, env: { ...awsEnv, ...options.env } });
    shutdown.add(async () => {
      await child.stop(settings.stopGraceMs);
    });
    // Two stages can run the same file (src/slots/server.ts in 01 and 02), so a process is
    // best found by the id and port printed here, not by `pgrep -f`.
    const port = definition.port?.(ctx);
    prefixedLogger(`[${definition.name}]`, settings.log).info(
      { pid: child.pid ?? 'none', ...(port === undefined ? {} : { port }) },
      'started',
    );
    children.push(child);
    if (definition.readyPath !== undefined) {
      const url = readinessUrl(definition, ctx);
      await waitUntilReady(child, url, settings.readyTimeoutMs, settings.signal);
    }
  }
  return children;
}

function childOptions(
  definition: ProcessDefinition,
  ctx: StageContext,
  settings: Settings,
  color: number,
): ChildOptions {
  return {
    name: definition.name,
    cwd: definition.cwd,
    command: definition.command,
    env: definition.env?.(ctx) ?? {},
    log: settings.log,
    color: settings.color ? color : null,
  };
}

function readinessUrl(definition: ProcessDefinition, ctx: StageContext): string {
  if (definition.port === undefined) {
    throw new Error(`process "${definition.name}" has a readyPath but no port`);
  }
  return `http://127.0.0.1:${definition.port(ctx)}${definition.readyPath}`;
}

/** Polls the readiness URL until it answers 2xx; fails fast if the process exits meanwhile. */
async function waitUntilReady(
  child: Child,
  url: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    if (await answersOk(url)) return;
    await Promise.race([sleep(200), child.exited]);
    if (child.hasExited) {
      const { code, signal } = await child.exited;
      throw new ChildFailedError(
        child,
        `exited with ${signal ?? `code ${code}`} before it was ready`,
      );
    }
  }
  throw new ChildFailedError(child, `did not become ready at ${url} within ${timeoutMs / 1000} s`);
}

async function answersOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false; // not listening yet
  }
}

function firstExitBeforeStop(children: Child[], shutdown: ShutdownList): RunningStage['exited'] {
  return new Promise((resolve) => {
    for (const child of children) {
      void child.exited.then(({ code, signal }) => {
        if (!shutdown.started) resolve({ name: child.name, code, signal });
      });
    }
  });
}

/** Things to undo, undone in reverse order, once. */
class ShutdownList {
  started = false;
  private readonly steps: Array<() => Promise<void>> = [];
  private running: Promise<void> | null = null;

  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  run(): Promise<void> {
    this.started = true;
    this.running ??= (async () => {
      const failures: unknown[] = [];
      for (const step of this.steps.splice(0).reverse()) {
        // Keep going: one thing failing to stop must not leave the others running.
        await step().catch((error: unknown) => failures.push(error));
      }
      if (failures.length > 0)
        throw new AggregateError(failures, 'some parts did not stop cleanly');
    })();
    return this.running;
  }
}

/** A Logger whose messages become "[prefix] message key=value" lines. */
function prefixedLogger(prefix: string, log: (line: string) => void): Logger {
  const write = (fields: Record<string, unknown>, message: string) => {
    const details = Object.entries(fields)
      .map(([key, value]) => ` ${key}=${value instanceof Error ? value.message : String(value)}`)
      .join('');
    log(`${prefix} ${message}${details}`);
  };
  return { info: write, warn: write, error: write };
}
