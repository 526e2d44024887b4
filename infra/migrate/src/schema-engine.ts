import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  ColumnTypeEnum,
  DriverAdapterError,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
} from '@prisma/driver-adapter-utils';
import type { SchemaContainer, SchemaEngine } from '@prisma/schema-engine-wasm';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';
import { type Logger, silentLogger } from './logger.ts';

/*
 * Prisma's schema engine (the program behind `prisma migrate`) compiled to WebAssembly. The Prisma
 * CLI would download a native build of it, which needs a network; this one ships in an npm package
 * and talks to the database through a JavaScript driver adapter (`@prisma/adapter-pg`), so it works
 * offline and against any Postgres: embedded PGlite, docker compose or RDS.
 */

declare global {
  // The engine reports the reason of a Rust panic here before it throws "unreachable".
  var PRISMA_WASM_PANIC_REGISTRY: { set_message(message: string): void; get(): string } | undefined;
}

export interface OpenSchemaEngineOptions {
  /** The Prisma schema files (datasource + models). */
  schemaFiles: SchemaContainer[];
  /** The database to work on; absent: a throwaway database from `throwawayDatabase`. */
  databaseUrl?: string;
  /**
   * Starts an empty database for the engine to scratch in (creating a migration needs one as its
   * "shadow" database), and stops it after. Absent: only work that needs none is possible.
   */
  throwawayDatabase?: ThrowawayDatabase;
  log?: Logger;
}

/** A source of empty, disposable PostgreSQL databases, e.g. an embedded Postgres. */
export type ThrowawayDatabase = () => Promise<{ url: string; stop(): Promise<void> }>;

export interface OpenedSchemaEngine {
  engine: SchemaEngine;
  close(): Promise<void>;
}

/** Starts a schema engine connected to the database; the caller must close() it. */
export async function openSchemaEngine(opts: OpenSchemaEngineOptions): Promise<OpenedSchemaEngine> {
  const log = opts.log ?? silentLogger;
  const SchemaEngineClass = await loadSchemaEngine();
  const resources = new Resources(opts.throwawayDatabase);
  try {
    const mainUrl = opts.databaseUrl ?? (await resources.startThrowawayPostgres());
    const factory = bindMigrationAwareSqlAdapterFactory(createAdapterFactory(mainUrl, resources));
    const engine = await SchemaEngineClass.new(
      { datamodels: opts.schemaFiles.map((file) => [file.path, file.content]) },
      (line: string) => forwardEngineLog(line, log),
      factory,
    );
    return {
      engine,
      async close() {
        engine.free();
        await resources.release();
      },
    };
  } catch (error) {
    await resources.release();
    throw asReadableEngineError(error);
  }
}

/** Turns an engine error (message + Rust span trace, or a panic) into a readable Error. */
export function asReadableEngineError(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  if (error.name === 'RuntimeError') {
    const panic = globalThis.PRISMA_WASM_PANIC_REGISTRY?.get() ?? '';
    return new Error(`The Prisma schema engine crashed: ${panic || error.message}`, {
      cause: error,
    });
  }
  // The engine appends a span trace ("   0: schema_engine_wasm::...") that only helps its authors.
  const message = error.message.split(/\n\s+0: /)[0]?.trim() ?? error.message;
  return new Error(message, { cause: error });
}

/**
 * Node has WebAssembly built in, but its types ship only with TypeScript's browser (DOM) library,
 * so the two constructors used here are described by hand.
 */
interface WebAssemblyRuntime {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, object>,
  ) => { exports: Record<string, unknown> };
}

let loading: Promise<typeof SchemaEngine> | null = null;

/**
 * The package's entry point imports the .wasm file as an ES module, which Node does not support, so
 * the module is instantiated by hand, once per process, with the package's JavaScript glue as its
 * imports.
 */
function loadSchemaEngine(): Promise<typeof SchemaEngine> {
  loading ??= (async () => {
    const panics = { message: '' };
    globalThis.PRISMA_WASM_PANIC_REGISTRY ??= {
      set_message: (message) => {
        panics.message = message;
      },
      get: () => panics.message,
    };
    const gluePath = createRequire(import.meta.url).resolve(
      '@prisma/schema-engine-wasm/schema_engine_bg',
    );
    const bytes = await readFile(gluePath.replace(/\.js$/, '.wasm'));
    const wasm: WebAssemblyRuntime = Reflect.get(globalThis, 'WebAssembly');
    const instance = new wasm.Instance(new wasm.Module(bytes), { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    const start = instance.exports.__wbindgen_start;
    if (typeof start !== 'function') throw new Error('unexpected schema engine build');
    start();
    return glue.SchemaEngine;
  })();
  return loading;
}

/** Pools and throwaway databases opened for one engine, released together. */
class Resources {
  private readonly cleanups: Array<() => Promise<void>> = [];

  constructor(private readonly throwawayDatabase: ThrowawayDatabase | undefined) {}

  createPool(url: string): pg.Pool {
    const pool = new pg.Pool({ connectionString: url, max: 2, Client: CatalogFriendlyClient });
    // An idle connection dropped by the server must not crash the process.
    pool.on('error', () => {});
    let ended = false;
    this.cleanups.push(async () => {
      if (!ended) await pool.end();
      ended = true;
    });
    return pool;
  }

  async startThrowawayPostgres(): Promise<string> {
    if (this.throwawayDatabase === undefined) {
      throw new Error('the schema engine needs a throwaway database here: pass throwawayDatabase');
    }
    const db = await this.throwawayDatabase();
    this.cleanups.push(() => db.stop());
    return db.url;
  }

  async release(): Promise<void> {
    // Pools first (last in, first out), then the databases they point at.
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      await cleanup().catch(() => {});
    }
  }
}

/**
 * The engine needs a second, empty "shadow" database to replay the migrations folder when it
 * computes a new migration. Prisma's pg adapter would `CREATE DATABASE` one; a fresh throwaway
 * database (locally, an in-memory embedded Postgres) is simpler and works whatever the main
 * database is.
 */
function createAdapterFactory(
  mainUrl: string,
  resources: Resources,
): SqlMigrationAwareDriverAdapterFactory {
  const connect = async (url: string) => {
    const pool = resources.createPool(url);
    return withEngineFixes(await new PrismaPg(pool).connect(), pool);
  };
  return {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: () => connect(mainUrl),
    connectToShadowDb: async () => connect(await resources.startThrowawayPostgres()),
  };
}

/**
 * Two gaps between @prisma/adapter-pg 7.10 and the schema engine, closed here:
 * - executeScript splits a migration on every ";" (breaking semicolons inside strings or function
 *   bodies) and runs the pieces one by one. The native engine sends the script as one simple query,
 *   which Postgres runs as one implicit transaction: all of the migration or none of it.
 * - columns of Postgres's one-byte "char" type, which the engine reads from pg_constraint, are not
 *   supported by the adapter; CatalogFriendlyClient marks them, and they are reported as characters.
 */
function withEngineFixes(adapter: SqlDriverAdapter, pool: pg.Pool): SqlDriverAdapter {
  return {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: async (query: SqlQuery) => restoreCharColumns(await adapter.queryRaw(query)),
    executeRaw: (query: SqlQuery) => adapter.executeRaw(query),
    startTransaction: (isolationLevel) => adapter.startTransaction(isolationLevel),
    getConnectionInfo: () => adapter.getConnectionInfo?.() ?? { supportsRelationJoins: true },
    dispose: () => adapter.dispose(),
    executeScript: async (script: string) => {
      try {
        await pool.query(script);
      } catch (error) {
        throw asDriverAdapterError(error);
      }
    },
  };
}

const CHAR_TYPE_OID = 18;
const TEXT_TYPE_OID = 25;
const CHAR_COLUMN_MARK = '\u0000"char"';

interface RowDescriptionField {
  name: string;
  dataTypeID: number;
}

/** A pg client that hands "char" columns to the adapter as text, marked by a suffix on the name. */
class CatalogFriendlyClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.connection.prependListener(
      'rowDescription',
      (message: { fields: RowDescriptionField[] }) => {
        for (const field of message.fields) {
          if (field.dataTypeID !== CHAR_TYPE_OID) continue;
          field.dataTypeID = TEXT_TYPE_OID;
          field.name += CHAR_COLUMN_MARK;
        }
      },
    );
  }
}

function restoreCharColumns(result: SqlResultSet): SqlResultSet {
  if (!result.columnNames.some((name) => name.endsWith(CHAR_COLUMN_MARK))) return result;
  const columnTypes = [...result.columnTypes];
  const columnNames = result.columnNames.map((name, index) => {
    if (!name.endsWith(CHAR_COLUMN_MARK)) return name;
    columnTypes[index] = ColumnTypeEnum.Character;
    return name.slice(0, -CHAR_COLUMN_MARK.length);
  });
  return { ...result, columnNames, columnTypes };
}

function asDriverAdapterError(error: unknown): unknown {
  if (!(error instanceof pg.DatabaseError)) return error;
  return new DriverAdapterError({
    kind: 'postgres',
    code: error.code ?? 'unknown',
    severity: error.severity ?? 'ERROR',
    message: error.message,
    detail: error.detail,
    column: error.column,
    hint: error.hint,
  });
}

interface EngineLogLine {
  level?: string;
  fields?: { message?: string };
}

function forwardEngineLog(line: string, log: Logger): void {
  let parsed: EngineLogLine;
  try {
    parsed = JSON.parse(line) as EngineLogLine;
  } catch {
    return;
  }
  const message = `schema engine: ${parsed.fields?.message ?? line}`;
  if (parsed.level === 'ERROR') log.error({}, message);
  else if (parsed.level === 'WARN') log.warn({}, message);
}
