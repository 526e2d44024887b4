import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type Logger, silentLogger } from './logger.ts';
import { servePGlite } from './pglite-server.ts';

export interface EmbeddedPostgres {
  /** postgresql://postgres:postgres@127.0.0.1:<port>/postgres — give it to `pg` or Prisma. */
  url: string;
  port: number;
  /** Closes the server and the database; data under `dataDir` stays for the next start. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Where the database files live. Absent: in memory, gone after stop(). */
  dataDir?: string;
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; 127.0.0.1 by default so nothing outside this machine can connect. */
  host?: string;
  log?: Logger;
}

/**
 * Starts PostgreSQL (PGlite: Postgres compiled to WebAssembly) and serves it over the normal wire
 * protocol, so application code connects with `pg` exactly as it would to RDS. One instance holds
 * one database; start one per service database.
 */
export async function startEmbeddedPostgres(
  opts: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  const log = opts.log ?? silentLogger;
  const host = opts.host ?? '127.0.0.1';
  const dataDir = opts.dataDir === undefined ? undefined : resolve(opts.dataDir);
  const unlock = dataDir === undefined ? () => {} : lockDataDir(dataDir);

  try {
    const db = await PGlite.create(dataDir === undefined ? {} : { dataDir });
    const server = await servePGlite(db, { host, port: opts.port ?? 0, log }).catch(
      async (error: unknown) => {
        await db.close();
        throw error;
      },
    );
    const url = `postgresql://postgres:postgres@${urlHost(host)}:${server.port}/postgres`;
    log.info({ port: server.port, dataDir: dataDir ?? 'in memory' }, 'embedded Postgres ready');

    let stopped: Promise<void> | null = null;
    const stop = async () => {
      await server.close();
      await db.close();
      unlock();
      log.info({ port: server.port }, 'embedded Postgres stopped');
    };
    return {
      url,
      port: server.port,
      stop: () => {
        stopped ??= stop();
        return stopped;
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Data directories open in this process: PGlite has no lock of its own. */
const openDataDirs = new Set<string>();

/**
 * Two PGlite instances writing the same files would corrupt them (think `pnpm start` twice), so a
 * `<dataDir>.lock` file holds the owner's process id while the database is open.
 */
function lockDataDir(dataDir: string): () => void {
  const lockPath = `${dataDir}.lock`;
  mkdirSync(dirname(dataDir), { recursive: true });
  if (!createLockFile(lockPath)) {
    const owner = embeddedDatabaseOwner(dataDir);
    if (owner !== null) {
      throw new Error(
        `The database in ${dataDir} is already open (process ${owner}). Stop that process first, ` +
          `or delete ${lockPath} if it is no longer running.`,
      );
    }
    // Left behind by a process that is gone: take it over.
    writeFileSync(lockPath, String(process.pid));
  }
  openDataDirs.add(dataDir);
  return () => {
    openDataDirs.delete(dataDir);
    rmSync(lockPath, { force: true });
  };
}

/**
 * The process that has the embedded database in `dataDir` open (this one included), or null when
 * none has: no lock file, or one left behind by a process that is gone.
 */
export function embeddedDatabaseOwner(dataDir: string): number | null {
  const resolved = resolve(dataDir);
  const owner = readLockOwner(`${resolved}.lock`);
  if (owner === null) return null;
  const inUse = owner === process.pid ? openDataDirs.has(resolved) : isRunning(owner);
  return inUse ? owner : null;
}

/** Creates the lock file only if none exists (atomically: two starts cannot both win). */
function createLockFile(lockPath: string): boolean {
  try {
    writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function readLockOwner(lockPath: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
    return Number.isNaN(pid) ? null : pid;
  } catch {
    return null;
  }
}

function isRunning(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
