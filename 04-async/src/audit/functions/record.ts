/*
 * AuditRecorderFunction: the audit queue's event source mapping calls it with up to 10 events;
 * each becomes an object of the audit log bucket (see ../recorder.ts). It runs outside the VPC:
 * it talks only to S3, over the internet, and Lambda's own pollers bring it the messages.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { createLogger } from '@course/service-kit/core';
import { loadAuditConfig } from '../config.ts';
import { auditRecorder } from '../recorder.ts';

const config = loadAuditConfig();

export const handler = auditRecorder({
  s3: new S3Client({}),
  bucket: config.AUDIT_BUCKET_NAME,
  log: createLogger({ service: 'audit', level: config.LOG_LEVEL }),
});
