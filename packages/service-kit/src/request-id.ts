import { randomUUID } from 'node:crypto';

/** Which process answered: rendered as the X-Served-By header `${service}@${stage} (${kind})`. */
export interface ServiceIdentity {
  /** e.g. "monolith", "slots" */
  service: string;
  /** Two digits, the course stage, e.g. "00". */
  stage: string;
  /** How it runs, e.g. "process", "container", "lambda". */
  kind: string;
}

const SERVED_BY = /^[a-z0-9-]+@\d\d \([a-z-]+\)$/;
// Only harmless characters, so a client cannot inject text into our logs or headers.
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The X-Served-By value for an identity; throws on one the contract's pattern would refuse. */
export function servedBy(identity: ServiceIdentity): string {
  const value = `${identity.service}@${identity.stage} (${identity.kind})`;
  if (!SERVED_BY.test(value)) {
    throw new Error(`X-Served-By "${value}" does not match ${SERVED_BY}`);
  }
  return value;
}

/**
 * The id a request goes by: the caller's X-Request-Id when it is well-formed (so one id follows
 * a request through the facade and every service), else a new UUID.
 */
export function requestIdFrom(header: string | undefined): string {
  return header !== undefined && VALID_REQUEST_ID.test(header) ? header : randomUUID();
}
