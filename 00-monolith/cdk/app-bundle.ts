import { fileURLToPath } from 'node:url';
import { buildNodeAppBundle, type NodeAppBundleProps, nodeAppAsset } from '@course/constructs';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';

/*
 * The monolith as one self-contained folder for an EC2 instance, built at synth time by the
 * course's bundle builder (@course/constructs, node-app-bundle.ts):
 *
 *   server.mjs              the monolith (src/server.ts), Prisma's Wasm query compiler inlined
 *   migrate.mjs             `prisma migrate deploy` with Prisma's Wasm schema engine
 *   write-environment.mjs   secrets → environment file, run once at boot
 *   node_modules/@prisma/schema-engine-wasm/   the engine's .wasm, loaded from disk at run time
 *   prisma/                 schema.prisma and migrations/
 *   web/                    web/dist, when it has been built (`pnpm build`)
 *   node/bin/node           Node for linux-arm64 (Graviton)
 *
 * Stage 01 deploys this same bundle, unchanged, next to its slots service.
 */

const monolithDir = fileURLToPath(new URL('..', import.meta.url));

/** What goes into the monolith's bundle. */
export function monolithBundle(): NodeAppBundleProps {
  return {
    packageDir: monolithDir,
    entryPoints: {
      server: `${monolithDir}src/server.ts`,
      'write-environment': `${monolithDir}cdk/runtime/write-environment.ts`,
    },
    prismaDir: `${monolithDir}prisma`,
    optionalFolders: { web: `${monolithDir}../web/dist` },
  };
}

export interface AppBundleOptions {
  /** Leave out node/ (for a test that runs the bundle with the local Node). @default true */
  includeNodeRuntime?: boolean;
}

/** Builds the monolith's folder into `outputDir` (which must exist). */
export function buildAppBundle(outputDir: string, options: AppBundleOptions = {}): void {
  buildNodeAppBundle(outputDir, { ...monolithBundle(), ...options });
}

/**
 * The bundle as an S3 asset. Its hash is the hash of the built folder, so a deploy only uploads
 * (and only replaces the instances) when the app actually changed.
 */
export function monolithAppAsset(scope: Construct, id: string): Asset {
  return nodeAppAsset(scope, id, monolithBundle);
}
