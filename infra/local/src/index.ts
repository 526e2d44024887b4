export {
  formatTable,
  type LoadOptions,
  type Measurement,
  measure,
  measureInTurns,
  quietAndUnthrottled,
  roundsFor,
  type Scenario,
  SLICE_SECONDS,
} from './bench/measure.ts';
export {
  type NginxUpstreams,
  type RunningNginx,
  type StartNginxOptions,
  startNginx,
} from './bench/nginx.ts';
export { signUpPlayer } from './bench/players.ts';
export { freePort } from './free-port.ts';
export { filesOfPackages, importGraph } from './import-graph.ts';
export { type Logger, silentLogger } from './logger.ts';
export {
  type ApplyMigrationsOptions,
  applyMigrations,
  type CreateMigrationOptions,
  createMigration,
} from './migrate.ts';
export {
  type EmbeddedPostgres,
  type EmbeddedPostgresOptions,
  startEmbeddedPostgres,
} from './postgres.ts';
export { rejectionOf } from './rejection.ts';
export {
  databaseUrlVariable,
  type RunningStage,
  resetStageData,
  type StartStageOptions,
  startStage,
} from './runner.ts';
export type {
  DatabaseDefinition,
  LocalAwsDefinition,
  ProcessDefinition,
  StageContext,
  StageDefinition,
} from './stage.ts';
export { findStageFolder, loadStageDefinition } from './stage-folders.ts';
export {
  startTestDatabase,
  type TestDatabase,
  type TestDatabaseOptions,
} from './test-database.ts';
export { workspaceRoot } from './workspace.ts';
