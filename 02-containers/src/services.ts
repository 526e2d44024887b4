import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** This stage's services: each a process, a database, an image and an ECS service. */
export const SERVICES = ['users', 'forum', 'slots'] as const;
export type Service = (typeof SERVICES)[number];

/** Where each service's schema and migrations were born, in the source tree. */
const sourcePrismaDirs: Record<Service, () => URL> = {
  users: () => new URL('../prisma/users/', import.meta.url),
  forum: () => new URL('../prisma/forum/', import.meta.url),
  // Slots keeps stage 01's schema and migrations, from where they were born.
  slots: () => new URL('prisma/', import.meta.resolve('@course/strangler/package.json')),
};

/**
 * A service's schema.prisma and migrations folder, for the local runner and for the database
 * setup alike. In a service's bundle (cdk/bundles.ts) this module is compiled into the program,
 * and the bundle carries that one service's migrations beside it, in prisma/, as every
 * NodeAppBundle does; from the source tree they are where they were born.
 */
export function migrationsOf(service: Service): { schemaPath: string; migrationsDir: string } {
  const bundled = new URL('prisma/', import.meta.url);
  const dir = existsSync(new URL('schema.prisma', bundled)) ? bundled : sourcePrismaDirs[service]();
  return {
    schemaPath: fileURLToPath(new URL('schema.prisma', dir)),
    migrationsDir: fileURLToPath(new URL('migrations', dir)),
  };
}

/**
 * The variables that hand a service's database credentials to the database provisioning, which
 * sets up every service at once: `USERS_DATABASE_URL`, or on ECS the secret `USERS_DATABASE_SECRET`
 * (see container-env.ts).
 */
export function provisioningVariablesOf<S extends Service>(
  service: S,
): { url: `${Uppercase<S>}_DATABASE_URL`; secret: `${Uppercase<S>}_DATABASE_SECRET` } {
  const prefix = service.toUpperCase() as Uppercase<S>;
  return { url: `${prefix}_DATABASE_URL`, secret: `${prefix}_DATABASE_SECRET` };
}
