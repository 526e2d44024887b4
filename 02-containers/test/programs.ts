import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import stage from '../stage.ts';

/* Runs the stage's one-shot database programs as the containers do, and reads their results. */

const containersDir = fileURLToPath(new URL('..', import.meta.url));

export interface LogLine {
  level: string;
  msg: string;
  applied?: number;
}

export interface ProgramRun {
  code: number;
  lines: LogLine[];
  output: string;
}

/** `src/<program>.ts` as a child process with only the given environment (and PATH). */
export function runProgram(
  program: 'database-setup' | 'database-provisioning',
  env: Record<string, string>,
): Promise<ProgramRun> {
  return runOneShot(join(containersDir, 'src', `${program}.ts`), env);
}

/**
 * Any stage's one-shot program (a `src/<program>.ts` that ends in `runOneShot`) as a child
 * process, from its package's folder, with only the given environment (and PATH).
 */
export function runOneShot(programFile: string, env: Record<string, string>): Promise<ProgramRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', programFile],
      {
        cwd: dirname(dirname(programFile)),
        env: { PATH: process.env.PATH ?? '', ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        // A non-zero exit is a result here; only failing to run at all is an error.
        if (error && typeof error.code !== 'number') return reject(error);
        const lines = stdout
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as LogLine);
        resolve({ code: error ? Number(error.code) : 0, lines, output: stdout + stderr });
      },
    );
  });
}

/** The variables a run's configuration error names: its message has a line `  NAME: problem` each. */
export function variablesNamedBy(run: ProgramRun): string[] {
  return [...(run.lines[0]?.msg ?? '').matchAll(/^\s+([A-Z_]+): /gm)].map(
    (match) => match[1] ?? '',
  );
}

/** How many migrations a database setup run applied, from its log. */
export function appliedCount(run: ProgramRun): number | undefined {
  return run.lines.find((line) => line.msg === 'database schema up to date')?.applied;
}

/** The migration folders the stage's runner applies to a service's database, in order. */
export function migrationNames(service: string): string[] {
  const definition = stage.databases.find((database) => database.name === service);
  if (!definition) throw new Error(`stage 02 has no database named ${service}`);
  return readdirSync(definition.migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** A URL to the server at `serverUrl` as `role` into `database` (each encoded as a URL needs). */
export function urlAs(serverUrl: string, role: string, password: string, database: string): string {
  const url = new URL(serverUrl);
  url.username = encodeURIComponent(role);
  url.password = encodeURIComponent(password);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.href;
}

export async function query(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}
