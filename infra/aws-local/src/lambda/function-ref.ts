/*
 * The ways a caller names a function in the Lambda API: `my-function`, `my-function:$LATEST`,
 * or its ARN `arn:aws:lambda:us-east-1:123456789012:function:my-function[:qualifier]`.
 */

export interface FunctionRef {
  name: string;
  /** The ARN without qualifier, when the caller gave an ARN. */
  arn?: string;
  qualifier?: string;
}

const ARN = /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+))(?::([^:]+))?$/;
const NAME = /^([A-Za-z0-9_-]+)(?::([^:]+))?$/;

/** Parses a function reference; undefined when it is none of the accepted forms. */
export function parseFunctionRef(ref: string): FunctionRef | undefined {
  const arn = ARN.exec(ref);
  if (arn?.[1] && arn[2]) return { name: arn[2], arn: arn[1], qualifier: arn[3] };
  const name = NAME.exec(ref);
  if (name?.[1]) return { name: name[1], qualifier: name[2] };
  return undefined;
}

/** Only the unpublished version is served locally: no versions or aliases are published. */
export const LATEST = '$LATEST';
