/*
 * The AWS SDK v3 as Lambda's Node.js runtime provides it. NodejsFunction leaves `@aws-sdk/*` and
 * `@smithy/*` out of a bundle, because the runtime has them; so when a handler imports one that
 * its own folder cannot resolve, this hook resolves it from this package's pinned SDK clients
 * (and their dependencies, for `@smithy/*` and `@aws-sdk/core`). A copy in the function's own
 * folder always wins, as on Lambda. One synchronous hook covers both `import` and `require`.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PROVIDED = /^@(aws-sdk|smithy)\//;

/** This package's package.json, then the package.json of each SDK client it depends on. */
export function providerPackages(): string[] {
  const ownPackage = new URL('../../package.json', import.meta.url);
  const manifest = JSON.parse(readFileSync(ownPackage, 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const own = createRequire(ownPackage);
  const clients = Object.keys(manifest.dependencies ?? {})
    .filter((name) => PROVIDED.test(name))
    .map((name) => realpathSync(own.resolve(`${name}/package.json`)));
  return [fileURLToPath(ownPackage), ...clients];
}

export function provideAwsSdk(): void {
  const parents = providerPackages();
  // Resolving from a fallback parent runs the hooks again; this flag stops that recursion.
  let fallingBack = false;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        if (fallingBack || !PROVIDED.test(specifier)) throw error;
        fallingBack = true;
        try {
          for (const parent of parents) {
            try {
              // require() resolves relative to the requiring module, not to context.parentURL.
              if (context.conditions?.includes('require')) {
                const file = createRequire(parent).resolve(specifier);
                return { url: pathToFileURL(file).href, shortCircuit: true };
              }
              return nextResolve(specifier, { ...context, parentURL: pathToFileURL(parent).href });
            } catch {
              // not provided by this parent; try the next one
            }
          }
        } finally {
          fallingBack = false;
        }
        throw error;
      }
    },
  });
}
