/*
 * S3's conditional writes, which fauxqs ignores on writes: `If-None-Match: *` on PutObject,
 * CopyObject (its destination) and CompleteMultipartUpload writes the object only if its key is
 * free; otherwise S3 answers 412 PreconditionFailed, and while another conditional write of the
 * same key is in progress, 409 ConditionalRequestConflict (the caller retries). See "How to
 * prevent object overwrites with conditional writes" in the S3 User Guide. A write-once key is
 * what makes an append-only log idempotent: the second write of a record is refused, not doubled.
 *
 * `If-Match: <etag>` (write only over that version) is not emulated: rather than ignore it and
 * overwrite, the write is answered 501 NotImplemented, S3's code for a header it does not serve.
 */
import { randomUUID } from 'node:crypto';
import type { buildApp } from 'fauxqs';
import type { S3Store } from './fauxqs-stores.ts';

type FauxqsApp = ReturnType<typeof buildApp>;

/** What the check reads of a request (fauxqs's Fastify request has it). */
interface WriteRequest {
  method: string;
  routeOptions: { url?: string };
  params: unknown;
  query: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** An error in S3's XML shape, which @aws-sdk/client-s3 parses into its `name` and `$metadata`. */
export function s3ErrorXml(code: string, message: string, resource?: string): string {
  const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<Error>',
    `<Code>${code}</Code>`,
    `<Message>${escapeXml(message)}</Message>`,
    resource === undefined ? '' : `<Resource>${escapeXml(resource)}</Resource>`,
    `<RequestId>${randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase()}</RequestId>`,
    '</Error>',
  ].join('');
}

/** The object a request writes, when it is an object write that may carry a condition. */
function writtenObject(request: WriteRequest): { bucket: string; key: string } | undefined {
  if (request.routeOptions.url !== '/:bucket/*') return undefined;
  const params = request.params as { bucket?: string; '*'?: string };
  const query = request.query as Record<string, unknown>;
  const key = params['*'] ?? '';
  if (key === '' || params.bucket === undefined) return undefined;
  const isPut = request.method === 'PUT' && !('partNumber' in query) && !('renameObject' in query);
  const isComplete = request.method === 'POST' && 'uploadId' in query;
  return isPut || isComplete ? { bucket: params.bucket, key } : undefined;
}

function objectExists(store: S3Store, bucket: string, key: string): boolean {
  try {
    store.headObject(bucket, key);
    return true;
  } catch {
    // NoSuchKey (or NoSuchBucket, which fauxqs's own handler answers next)
    return false;
  }
}

export function serveConditionalWrites(app: FauxqsApp, store: S3Store): void {
  // Keys with a conditional write between its check and its response.
  const inProgress = new Set<string>();
  const held = new WeakMap<object, string>();

  app.addHook('preHandler', async (request, reply) => {
    const target = writtenObject(request);
    if (target === undefined) return;
    const resource = `/${target.bucket}/${target.key}`;
    const fail = (status: number, code: string, message: string) =>
      reply
        .status(status)
        .type('application/xml')
        .send(s3ErrorXml(code, message, resource));
    if (request.headers['if-match'] !== undefined) {
      return fail(
        501,
        'NotImplemented',
        'If-Match on writes is not emulated by the local AWS: only If-None-Match: * is',
      );
    }
    const condition = request.headers['if-none-match'];
    if (condition === undefined) return;
    if (condition !== '*') {
      return fail(
        501,
        'NotImplemented',
        `If-None-Match on writes takes only "*" (the key must be free), not ${condition}`,
      );
    }
    if (inProgress.has(resource)) {
      return fail(
        409,
        'ConditionalRequestConflict',
        'A conflicting conditional operation is currently in progress against this resource.',
      );
    }
    if (objectExists(store, target.bucket, target.key)) {
      return fail(
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
      );
    }
    inProgress.add(resource);
    held.set(request, resource);
  });
  app.addHook('onResponse', async (request) => {
    const resource = held.get(request);
    if (resource !== undefined) inProgress.delete(resource);
  });
}
