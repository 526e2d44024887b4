/*
 * S3 buckets (`AWS::S3::Bucket`): served by fauxqs's S3 on the messaging endpoint, objects kept
 * in memory or, when the caller gives a folder, as files a learner can open. Only the bucket and
 * its objects are emulated; each setting below is left out with its reason, logged at start.
 */
import { LocalAwsError, type LocalBucket } from '../model.ts';
import type { CfnResourceEntry } from './intrinsics.ts';
import type { TemplateReader } from './template-reader.ts';

const NO_PERMISSIONS = 'no permission is checked locally';

/** The bucket's properties that change nothing locally, and why. */
export const IGNORED_BUCKET_SETTINGS: Record<string, string> = {
  VersioningConfiguration: 'versioning is not emulated: a write replaces the object',
  BucketEncryption: 'objects are stored unencrypted on this machine',
  LifecycleConfiguration: 'lifecycle rules are not applied locally (objects never expire)',
  NotificationConfiguration: 'event notifications are not sent locally',
  PublicAccessBlockConfiguration: NO_PERMISSIONS,
  OwnershipControls: NO_PERMISSIONS,
  AccessControl: NO_PERMISSIONS,
  ObjectLockConfiguration: 'object lock is not emulated',
  ObjectLockEnabled: 'object lock is not emulated',
  CorsConfiguration: 'CORS is not applied locally',
  WebsiteConfiguration: 'website hosting is not served locally',
  LoggingConfiguration: 'access logs are not written locally',
  ReplicationConfiguration: 'replication is not emulated',
  IntelligentTieringConfigurations: 'storage classes are not emulated',
  InventoryConfigurations: 'inventory reports are not written locally',
  MetricsConfigurations: 'request metrics are not emulated',
  AnalyticsConfigurations: 'storage class analysis is not emulated',
  AccelerateConfiguration: 'transfer acceleration is not emulated',
  Tags: 'tags are not stored locally',
};

/** S3's rules for a general purpose bucket's name (IP-address-like names are refused too). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function bucket(
  reader: TemplateReader,
  logicalId: string,
  resource: CfnResourceEntry,
): LocalBucket {
  const props = resource.Properties ?? {};
  const identity = reader.identity(logicalId, resource);
  const { name } = identity;
  if (!BUCKET_NAME.test(name) || /^\d+\.\d+\.\d+\.\d+$/.test(name) || name.includes('..')) {
    throw new LocalAwsError(
      `${logicalId}.BucketName: ${name} is not a valid S3 bucket name (3–63 characters: lower-case letters, digits, dots, hyphens)`,
      logicalId,
      'BucketName',
    );
  }
  const ignoredSettings = Object.entries(IGNORED_BUCKET_SETTINGS)
    .filter(([property]) => props[property] !== undefined)
    .map(([property, reason]) => ({ property, reason }));
  return { logicalId, name, arn: identity.attributes.Arn ?? '', ignoredSettings };
}
