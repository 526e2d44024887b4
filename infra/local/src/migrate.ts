import {
  type CreateMigrationOptions as CreateMigrationInOptions,
  createMigration as createMigrationIn,
} from '@course/migrate';
import { startEmbeddedPostgres } from './postgres.ts';

export { type ApplyMigrationsOptions, applyMigrations } from '@course/migrate';
export type CreateMigrationOptions = Omit<CreateMigrationInOptions, 'throwawayDatabase'>;

/** `createMigration` of `@course/migrate`, replaying the migrations on an embedded Postgres. */
export function createMigration(opts: CreateMigrationOptions): Promise<{ folder: string | null }> {
  return createMigrationIn({ ...opts, throwawayDatabase: () => startEmbeddedPostgres() });
}
