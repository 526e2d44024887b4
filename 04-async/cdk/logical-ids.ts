import { LOGICAL_IDS as STAGE_03_LOGICAL_IDS } from '@course/serverless/cdk/logical-ids';

/**
 * The logical ids of the resources that the local stage (stage.ts), the tests and the benchmark
 * look up in the synthesized template. The stack sets them explicitly (`overrideLogicalId`), so
 * they do not change when a construct moves in the tree; a CDK test checks each one exists with
 * its type.
 */
export const LOGICAL_IDS = {
  // Stage 03's (the HTTP API, the database, the slots functions): the same resources, the same ids.
  ...STAGE_03_LOGICAL_IDS,
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
  /** AWS::StepFunctions::StateMachine — the purchase saga (Standard workflow). */
  purchaseSaga: 'PurchaseSaga',
  /** AWS::Lambda::Function — POST /api/slots/purchases, GET …/purchases/{id}, GET …/titles. */
  purchasesFunction: 'PurchasesFunction',
  /** AWS::Lambda::Function — the saga's steps, one function each. */
  debitFunction: 'PurchaseDebitFunction',
  grantFunction: 'PurchaseGrantFunction',
  cancelGrantFunction: 'PurchaseCancelGrantFunction',
  refundFunction: 'PurchaseRefundFunction',
  /** AWS::Lambda::Function — the saga's last state: marks the purchase completed. */
  completeFunction: 'PurchaseCompleteFunction',
  /** AWS::Lambda::Function — closes purchases left `running`, on a schedule. */
  reconcilerFunction: 'PurchaseReconcilerFunction',
} as const;
