/**
 * The logical ids of the resources that the local stage (stage.ts), the tests and the benchmark
 * look up in the synthesized template. The stack sets them explicitly (`overrideLogicalId`), so
 * they do not change when a construct moves in the tree; a CDK test checks each one exists with
 * its type.
 */
export const LOGICAL_IDS = {
  /** AWS::ApiGatewayV2::Api — the slots HTTP API. */
  slotsApi: 'SlotsApi',
  /** AWS::RDS::DBInstance — the one PostgreSQL server. */
  database: 'Database',
  /** AWS::Lambda::Function — leaderboard ranks, invoked by the forum only, never routed. */
  ranksFunction: 'SlotsRanksFunction',
  /** AWS::Lambda::Function — POST /api/slots/spins (and the relay of its events). */
  writeFunction: 'SlotsWriteFunction',
  /** AWS::Lambda::Function — the slots reads, and `$default` (a problem+json 404). */
  readFunction: 'SlotsReadFunction',
  /** AWS::SNS::Topic — every domain event of slots. */
  eventsTopic: 'EventsTopic',
  /** AWS::Lambda::Function — publishes what the relay left in the outbox, on a schedule. */
  sweeperFunction: 'OutboxSweeperFunction',
  /** AWS::SQS::Queue — the leaderboard projection's events, and its dead-letter queue. */
  leaderboardQueue: 'LeaderboardQueue',
  leaderboardDeadLetterQueue: 'LeaderboardDeadLetterQueue',
  /** AWS::Lambda::Function — maintains the leaderboard read model (event source mapping). */
  projectorFunction: 'LeaderboardProjectorFunction',
  /** AWS::SQS::Queue — big wins only (filter policy), polled by the forum service. */
  jackpotQueue: 'JackpotQueue',
  jackpotDeadLetterQueue: 'JackpotDeadLetterQueue',
  /** AWS::SQS::Queue — every event, for the audit log. */
  auditQueue: 'AuditQueue',
  auditDeadLetterQueue: 'AuditDeadLetterQueue',
  /** AWS::Lambda::Function — writes each event to the audit log (event source mapping). */
  auditFunction: 'AuditRecorderFunction',
  /** AWS::S3::Bucket — the audit log: one object per event, written once. */
  auditBucket: 'AuditLog',
} as const;
