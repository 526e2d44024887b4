import { resolve } from 'node:path';
import { build } from 'esbuild';

/**
 * The import graph of a module (a path, or a package specifier resolved from `fromDir`): every
 * file, as an absolute path, that esbuild pulls in when it bundles the module for Node the way
 * a Lambda function is bundled (ESM, every package bundled, workspace packages resolved through
 * their `exports`). Tests assert what must not be in it, e.g. no HTTP framework in a use-case
 * module. Nothing is written; pg's optional native driver is left out, as pg only loads it on
 * request.
 */
export async function importGraph(entry: string, fromDir: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    // Where a package specifier is resolved from: a package can name its own subpaths.
    absWorkingDir: fromDir,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'bundle',
    external: ['pg-native'],
    logLevel: 'silent',
  });
  // The metafile's paths are relative to absWorkingDir.
  return Object.keys(result.metafile.inputs).map((file) => resolve(fromDir, file));
}

/** The files of `graph` that belong to one of `packages` (by their node_modules folder). */
export function filesOfPackages(graph: string[], packages: string[]): string[] {
  return graph.filter((file) => packages.some((name) => file.includes(`node_modules/${name}/`)));
}
