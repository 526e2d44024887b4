import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNodeAppBundle, type NodeAppBundleProps } from '@course/constructs';
import { migrationsOf, SERVICES, type Service } from '../src/services.ts';

/*
 * Each process of this stage as one self-contained folder, built on this machine by the course's
 * bundle builder (@course/constructs, node-app-bundle.ts, as stages 00 and 01 build their EC2
 * apps), and the build context of that process's image, Dockerfile included:
 *
 *   server.mjs              the process (src/<name>/server.ts), compiled, its dependencies inlined
 *   database-setup.mjs      services: the one-shot database setup (src/database-setup.ts)
 *   prisma/                 services: that service's schema.prisma and migrations/, nobody else's
 *   node_modules/@prisma/schema-engine-wasm/   services: the Wasm schema engine the setup loads
 *   web/                    gateway: web/dist, when it has been built (`pnpm build`)
 *   database-provisioning.mjs   the provisioning bundle's only program (AWS only: the deploy-time
 *                           task that creates every service's role and database)
 *   Dockerfile, .dockerignore                  ./Dockerfile, the same for every process
 *
 * An image is built from its own folder only, so its asset hash changes only when that folder
 * does: a change to the forum's code rebuilds and redeploys the forum, and nothing else.
 */

const stageDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * The processes that have a bundle and an image: the services, the local gateway, and the
 * one-off database provisioning (src/database-provisioning.ts), which has an image of its own so
 * that no service's image is ever the one given the RDS master secret.
 */
export const BUNDLED_PROCESSES = [...SERVICES, 'gateway', 'database-provisioning'] as const;
export type BundledProcess = (typeof BUNDLED_PROCESSES)[number];

/** The command every image starts (the Dockerfile's CMD), relative to its WORKDIR. */
export const SERVER_ENTRY = 'server.mjs';

/** The one-shot database setup in a service's image (ECS: the setup container's command). */
export const DATABASE_SETUP_COMMAND = ['node', 'database-setup.mjs'];

/** The deploy-time provisioning task's command, in the provisioning image. */
export const DATABASE_PROVISIONING_COMMAND = ['node', 'database-provisioning.mjs'];

function isService(name: BundledProcess): name is Service {
  return (SERVICES as readonly string[]).includes(name);
}

/** What goes into a process's bundle (without the Dockerfile, which buildBundle adds). */
export function bundleOf(name: BundledProcess): NodeAppBundleProps {
  const server = `${stageDir}src/${name}/server.ts`;
  // The image brings Node (the Dockerfile's base), so the bundle needs none of its own.
  const common = { packageDir: stageDir, includeNodeRuntime: false };
  if (name === 'database-provisioning') {
    // Plain SQL through pg: no migrations, no schema engine.
    return {
      ...common,
      entryPoints: { 'database-provisioning': `${stageDir}src/database-provisioning.ts` },
    };
  }
  if (!isService(name)) {
    return {
      ...common,
      entryPoints: { server },
      optionalFolders: { web: `${stageDir}../web/dist` },
    };
  }
  const { schemaPath } = migrationsOf(name);
  return {
    ...common,
    entryPoints: { server, 'database-setup': `${stageDir}src/database-setup.ts` },
    prismaDir: join(schemaPath, '..'),
    // database-setup.mjs applies the migrations; the builder's generic migrate.mjs is not needed.
    includeMigrate: false,
  };
}

/** Builds a process's bundle and image build context into `outputDir` (which must exist). */
export function buildBundle(outputDir: string, name: BundledProcess): void {
  buildImageContext(outputDir, bundleOf(name));
}

/** Builds `bundle` into `outputDir` (which must exist), with this stage's Dockerfile beside it. */
export function buildImageContext(outputDir: string, bundle: NodeAppBundleProps): void {
  buildNodeAppBundle(outputDir, bundle);
  copyFileSync(join(stageDir, 'Dockerfile'), join(outputDir, 'Dockerfile'));
  // The build recipe is not part of the app: keep it out of the image.
  writeFileSync(join(outputDir, '.dockerignore'), 'Dockerfile\n.dockerignore\n');
}
