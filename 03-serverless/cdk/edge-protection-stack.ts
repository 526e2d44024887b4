import { Stack, type StackProps } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';

/**
 * The per-client limit at the edge: requests to `/api/` per client address and minute, as the
 * services' own in-memory limiter counts them (600 a minute, RATE_LIMIT_PER_MINUTE's default),
 * which no longer holds when every Lambda execution environment has its own memory.
 */
export const EDGE_RATE_LIMIT = { requests: 600, windowSeconds: 60 } as const;

/** The body of the web ACL's 429: the contract's TooManyRequests problem (type about:blank). */
export const RATE_LIMITED_BODY = JSON.stringify({
  type: 'about:blank',
  title: 'Too Many Requests',
  status: 429,
  detail: 'Too many requests from this address; retry later.',
});

/**
 * An AWS WAF web ACL for the stage's CloudFront distribution. A web ACL for CloudFront has scope
 * CLOUDFRONT and must be created in us-east-1, whatever region the stage is in: hence a stack of
 * its own, whose ARN the stage's stack reads across regions (`crossRegionReferences`).
 *
 * One rule: a rate-based rule per client IP over `/api/` whose block answers 429 with a JSON
 * problem, `Retry-After` and `X-Served-By`. AWS WAF lets a custom body be `application/json`,
 * `text/plain` or `text/html` only, and it cannot mint a request id, so this 429 has no
 * `application/problem+json` and no `X-Request-Id`. Neither do API Gateway's own answers: its
 * stage throttling (429 `{"message":"Too Many Requests"}`) and a function that cannot answer at
 * all (`{"message":"Internal Server Error"}`).
 *
 * Cost: $5 a month for the web ACL, $1 for the rule, $0.60 per million requests inspected:
 * about $0.0082 an hour before requests.
 */
export class EdgeProtectionStack extends Stack {
  readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'CLOUDFRONT',
      description: 'Course stage 03: a per-client rate limit on the API',
      defaultAction: { allow: {} },
      visibilityConfig: {
        cloudWatchMetricsEnabled: true,
        metricName: 'course-stage-03',
        sampledRequestsEnabled: true,
      },
      customResponseBodies: {
        'rate-limited': { contentType: 'APPLICATION_JSON', content: RATE_LIMITED_BODY },
      },
      rules: [
        {
          name: 'api-rate-per-client',
          priority: 0,
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                customResponseBodyKey: 'rate-limited',
                responseHeaders: [
                  { name: 'Retry-After', value: String(EDGE_RATE_LIMIT.windowSeconds) },
                  { name: 'X-Served-By', value: 'edge@03 (waf)' },
                ],
              },
            },
          },
          statement: {
            rateBasedStatement: {
              aggregateKeyType: 'IP',
              limit: EDGE_RATE_LIMIT.requests,
              evaluationWindowSec: EDGE_RATE_LIMIT.windowSeconds,
              scopeDownStatement: {
                byteMatchStatement: {
                  fieldToMatch: { uriPath: {} },
                  positionalConstraint: 'STARTS_WITH',
                  searchString: '/api/',
                  textTransformations: [{ priority: 0, type: 'NONE' }],
                },
              },
            },
          },
          visibilityConfig: {
            cloudWatchMetricsEnabled: true,
            metricName: 'api-rate-per-client',
            sampledRequestsEnabled: true,
          },
        },
      ],
    });
    this.webAclArn = acl.attrArn;
  }
}
