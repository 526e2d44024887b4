import { fileURLToPath } from 'node:url';
import { applyMigrations } from '@course/migrate';
import { createLogger, parseConfig } from '@course/service-kit';
import { z } from 'zod';

/*
 * Entry point bundled as migrate.mjs into every app bundle with a `prismaDir` (see
 * node-app-bundle.ts), and run by systemd before every start of the server (NodeAppHost's
 * `preStartScript`): `prisma migrate deploy`, with Prisma's Wasm schema engine, on the migrations
 * shipped next to it. Already-applied migrations are skipped, so it is safe to run every time.
 * Each host logs to its own log group, so "migrate" is name enough for its lines.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const log = createLogger({ service: 'migrate' });

// Parsed like every config: a missing or wrong DATABASE_URL stops here with a clear message.
const { DATABASE_URL } = parseConfig(z.object({ DATABASE_URL: z.url() }));
const { applied } = await applyMigrations({
  databaseUrl: DATABASE_URL,
  schemaPath: `${here}prisma/schema.prisma`,
  migrationsDir: `${here}prisma/migrations`,
  log,
});
log.info({ applied: applied.length }, 'database schema up to date');
// Done: exit now rather than wait ~10 s for an idle pooled connection to time out, which would
// delay every start of the server by as much.
process.exit();
