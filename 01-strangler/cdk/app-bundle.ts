import { fileURLToPath } from 'node:url';
import { buildNodeAppBundle, type NodeAppBundleProps, nodeAppAsset } from '@course/constructs';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';

/*
 * The slots service as one self-contained folder for its EC2 instances, built at synth time by
 * the same builder as stage 00's monolith (@course/constructs, node-app-bundle.ts):
 *
 *   server.mjs              the slots service (src/slots/server.ts)
 *   wallets.mjs             the wallet handoff CLI (src/wallets/cli.ts), run by hand through
 *                           Session Manager: `wallets.mjs handoff|backfill|verify`
 *   migrate.mjs             `prisma migrate deploy` of the slots database, before every start
 *   write-environment.mjs   secrets → environment file, run once at boot
 *   prisma/, node_modules/@prisma/schema-engine-wasm/, node/bin/node   as in stage 00
 *
 * The monolith's bundle is stage 00's, unchanged (@course/monolith/cdk).
 */

const stageDir = fileURLToPath(new URL('..', import.meta.url));

/** What goes into the slots service's bundle. */
export function slotsBundle(): NodeAppBundleProps {
  return {
    packageDir: stageDir,
    entryPoints: {
      server: `${stageDir}src/slots/server.ts`,
      wallets: `${stageDir}src/wallets/cli.ts`,
      'write-environment': `${stageDir}cdk/runtime/write-environment.ts`,
    },
    prismaDir: `${stageDir}prisma`,
  };
}

/** Builds the slots service's folder into `outputDir` (which must exist). */
export function buildSlotsBundle(
  outputDir: string,
  options: Pick<NodeAppBundleProps, 'includeNodeRuntime'> = {},
): void {
  buildNodeAppBundle(outputDir, { ...slotsBundle(), ...options });
}

/** The bundle as an S3 asset, hashed by its content like the monolith's. */
export function slotsAppAsset(scope: Construct, id: string): Asset {
  return nodeAppAsset(scope, id, slotsBundle);
}
