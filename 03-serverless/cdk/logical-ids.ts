/**
 * The logical ids of the resources that the local stage (stage.ts) and the tests look up in the
 * synthesized template: the HTTP API whose local URL the gateway calls, the database whose
 * endpoint the stage supplies (the embedded Postgres), and the functions a process or a test
 * invokes by name. The stack sets them explicitly (`overrideLogicalId`), so they do not change
 * when a construct moves in the tree; a CDK test checks each one exists with its type.
 */
export const LOGICAL_IDS = {
  /** AWS::ApiGatewayV2::Api — the slots HTTP API. */
  slotsApi: 'SlotsApi',
  /** AWS::RDS::DBInstance — the one PostgreSQL server. */
  database: 'Database',
  /** AWS::Lambda::Function — leaderboard ranks, invoked by the forum only, never routed. */
  ranksFunction: 'SlotsRanksFunction',
  /** AWS::Lambda::Function — POST /api/slots/spins. */
  writeFunction: 'SlotsWriteFunction',
  /** AWS::Lambda::Function — the slots reads, and `$default` (a problem+json 404). */
  readFunction: 'SlotsReadFunction',
} as const;
