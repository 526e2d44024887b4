#!/usr/bin/env tsx
/*
 * course-prisma: the Prisma CLI, made to work without network access.
 *
 *   course-prisma generate [--schema p]        the real `prisma generate` (any prisma command works)
 *   course-prisma migrate deploy               apply committed migrations to $DATABASE_URL
 *   course-prisma migrate create <name>        write a new migration from schema changes
 *
 * Paths come from --schema / --migrations, else from ./prisma.config.ts, else prisma/schema.prisma
 * and prisma/migrations. The migrate commands use Prisma's schema engine compiled to WebAssembly
 * (see ../migrate.ts); everything else runs the real Prisma CLI.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { applyMigrations, createMigration } from '../migrate.ts';

const OFFLINE_ENGINE_STUB = join(import.meta.dirname, 'schema-engine-offline.sh');

async function main(argv: string[]): Promise<number> {
  const [command, subcommand, ...rest] = argv;
  if (command === 'migrate' && subcommand === 'deploy') return migrateDeploy(rest);
  if (command === 'migrate' && subcommand === 'create') return migrateCreate(rest);
  return runPrismaCli(argv);
}

async function migrateDeploy(args: string[]): Promise<number> {
  const { paths } = await parseMigrateArgs(args);
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    return fail(
      'DATABASE_URL is not set. Example: DATABASE_URL=postgresql://user:pass@host:5432/db course-prisma migrate deploy',
    );
  }
  const { applied } = await applyMigrations({ databaseUrl, ...paths });
  print(
    applied.length === 0
      ? 'No pending migrations to apply.'
      : `Applied ${applied.length} migration(s):\n${applied.map((name) => `  ${name}`).join('\n')}`,
  );
  return 0;
}

async function migrateCreate(args: string[]): Promise<number> {
  const { paths, positionals } = await parseMigrateArgs(args);
  const name = positionals.join('_');
  if (name === '') return fail('Usage: course-prisma migrate create <name>, e.g. add_leaderboard');
  const { folder } = await createMigration({ ...paths, name });
  print(
    folder === null
      ? 'The schema matches the migrations: nothing to create.'
      : `Created ${folder}/migration.sql. Review it, then commit it with the schema change.`,
  );
  return 0;
}

interface ProjectPaths {
  schemaPath: string;
  migrationsDir: string;
}

async function parseMigrateArgs(
  args: string[],
): Promise<{ paths: ProjectPaths; positionals: string[] }> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      schema: { type: 'string' },
      migrations: { type: 'string' },
      config: { type: 'string' },
    },
  });
  const paths = await locateProject(process.cwd(), values);
  return { paths, positionals };
}

const PrismaConfigShape = z.object({
  schema: z.string().optional(),
  migrations: z.object({ path: z.string().optional() }).optional(),
});

/** Finds schema and migrations the way the Prisma CLI does: flags, then prisma.config.ts, then defaults. */
async function locateProject(
  cwd: string,
  flags: { schema?: string; migrations?: string; config?: string },
): Promise<ProjectPaths> {
  const configPath = resolve(cwd, flags.config ?? 'prisma.config.ts');
  let config: z.infer<typeof PrismaConfigShape> = {};
  if (existsSync(configPath)) {
    const module: { default?: unknown } = await import(pathToFileURL(configPath).href);
    config = PrismaConfigShape.parse(module.default ?? {});
  }
  const configDir = dirname(configPath);
  const schemaPath = flags.schema
    ? resolve(cwd, flags.schema)
    : resolve(configDir, config.schema ?? 'prisma/schema.prisma');
  const schemaDir = schemaPath.endsWith('.prisma') ? dirname(schemaPath) : schemaPath;
  const migrationsDir = flags.migrations
    ? resolve(cwd, flags.migrations)
    : config.migrations?.path
      ? resolve(configDir, config.migrations.path)
      : join(schemaDir, 'migrations');
  return { schemaPath, migrationsDir };
}

/**
 * Runs the real Prisma CLI. It refuses to start without its native schema engine, which it would
 * download; `prisma generate` never runs that engine, so pointing PRISMA_SCHEMA_ENGINE_BINARY at a
 * stub (which explains itself if something does run it) is enough to work offline.
 */
function runPrismaCli(args: string[]): Promise<number> {
  const cli = resolvePrismaCli(process.cwd());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CHECKPOINT_DISABLE: '1', // no update check over the network
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  };
  if (!env.PRISMA_SCHEMA_ENGINE_BINARY && !nativeSchemaEngineInstalled(cli)) {
    env.PRISMA_SCHEMA_ENGINE_BINARY = OFFLINE_ENGINE_STUB;
  }
  const child = spawn(process.execPath, [cli, ...args], { stdio: 'inherit', env });
  return new Promise((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)));
  });
}

/** The calling package's own prisma if it has one (same version via the catalog), else ours. */
function resolvePrismaCli(cwd: string): string {
  for (const base of [join(cwd, 'package.json'), import.meta.filename]) {
    try {
      return createRequire(base).resolve('prisma/build/index.js');
    } catch {
      // not installed there; try the next place
    }
  }
  throw new Error('The prisma package is not installed');
}

function nativeSchemaEngineInstalled(prismaCli: string): boolean {
  try {
    const engines = dirname(createRequire(prismaCli).resolve('@prisma/engines/package.json'));
    return readdirSync(engines).some((file) => file.startsWith('schema-engine'));
  } catch {
    return false;
  }
}

function print(message: string): void {
  process.stdout.write(`${message}\n`);
}

function fail(message: string): number {
  process.stderr.write(`course-prisma: ${message}\n`);
  return 1;
}

// Exit explicitly: the Wasm schema engine leaves a 10 s timer behind that would keep Node waiting.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(fail(error instanceof Error ? error.message : String(error))),
);
