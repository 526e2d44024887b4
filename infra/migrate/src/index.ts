export { type Logger, silentLogger } from './logger.ts';
export {
  type ApplyMigrationsOptions,
  applyMigrations,
  type CreateMigrationOptions,
  createMigration,
} from './migrate.ts';
export type { ThrowawayDatabase } from './schema-engine.ts';
