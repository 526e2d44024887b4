import { parseConfig, serviceConfigSchema } from '@course/service-kit/core';
import { z } from 'zod';

/** The audit function's configuration, parsed once per execution environment (at init). */
const auditConfigSchema = z.object({
  LOG_LEVEL: serviceConfigSchema.shape.LOG_LEVEL,
  // The bucket the stack created (no physical name: CloudFormation generates it).
  AUDIT_BUCKET_NAME: z.string().min(3).max(63),
});

export type AuditConfig = z.infer<typeof auditConfigSchema>;

export function loadAuditConfig(env: NodeJS.ProcessEnv = process.env): AuditConfig {
  return parseConfig(auditConfigSchema, env);
}
