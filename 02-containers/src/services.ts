import { fileURLToPath } from 'node:url';

/** This stage's services: each a process, a database, a Dockerfile target and an ECS service. */
export const SERVICES = ['users', 'forum', 'slots'] as const;
export type Service = (typeof SERVICES)[number];

const prismaDirs: Record<Service, URL> = {
  users: new URL('../prisma/users/', import.meta.url),
  forum: new URL('../prisma/forum/', import.meta.url),
  // Slots keeps stage 01's schema and migrations, from where they were born.
  slots: new URL('prisma/', import.meta.resolve('@course/strangler/package.json')),
};

/**
 * A service's schema.prisma and migrations folder, for the local runner and for the database
 * setup in the images alike.
 */
export function migrationsOf(service: Service): { schemaPath: string; migrationsDir: string } {
  return {
    schemaPath: fileURLToPath(new URL('schema.prisma', prismaDirs[service])),
    migrationsDir: fileURLToPath(new URL('migrations', prismaDirs[service])),
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
