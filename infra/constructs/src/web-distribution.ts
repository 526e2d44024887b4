import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

/** The API behind the distribution's domain. */
export interface WebDistributionApi {
  /** E.g. `LoadBalancerOrigin`'s `origin`. */
  origin: cloudfront.IOrigin;
  /**
   * With a `site`: the CloudFront path patterns sent to the API instead of the bucket, e.g.
   * `['/api/*', '/healthz']`. Without one, the API serves every path, so give none.
   * @default every path, when there is no `site`
   */
  paths?: readonly string[];
}

export interface WebDistributionProps {
  /** The API, behind the same domain as the site, so the browser calls it without CORS. */
  api: WebDistributionApi;
  /**
   * More APIs behind the same domain, each serving its own `paths`, matched before `api`'s (so
   * `/api/slots/*` here wins over `/api/*` there: CloudFront takes the first behaviour whose
   * pattern matches, in order).
   * @default none
   */
  otherApis?: readonly Required<WebDistributionApi>[];
  /**
   * The ARN of an AWS WAF web ACL (scope CLOUDFRONT, created in us-east-1) in front of every path.
   * @default none: no web ACL
   */
  webAclArn?: string;
  /**
   * The files of the web app, served from a private S3 bucket: `Source.asset('<web>/dist')` once
   * it is built, or a placeholder page (`Source.data('index.html', …)`).
   * @default none: the API's origin serves every path, the web app included (an app that serves
   * its own web build, like the monolith)
   */
  site?: s3deploy.ISource;
  /**
   * The edge locations that serve the site.
   * @default PRICE_CLASS_100 — North America and Europe, the cheapest
   */
  priceClass?: cloudfront.PriceClass;
}

/**
 * A web app and its API behind one CloudFront distribution, on CloudFront's own HTTPS domain:
 * the app's files on S3 with the API's paths sent to the API (`site`), or everything from the
 * API's origin, for an app that serves its own web build.
 *
 * Defaults: HTTPS on CloudFront's own domain (HTTP redirects to it); the API's paths (every
 * path, without a site) sent to the API origin with caching disabled and every viewer header,
 * cookie and query string forwarded (the Host header excepted). With a `site`: a private,
 * encrypted bucket that only this distribution may read (origin access control), the site
 * cached at the edge and emptied from the caches on every deploy, and any path without a file
 * extension served `index.html` (the app routes in the browser). `cdk destroy` deletes the
 * files, the bucket and the distribution.
 */
export class WebDistribution extends Construct {
  /** The site's bucket; none when the API serves the site. */
  readonly bucket: s3.Bucket | undefined;
  readonly distribution: cloudfront.Distribution;
  /** `https://<distribution domain>` */
  readonly url: string;

  constructor(scope: Construct, id: string, props: WebDistributionProps) {
    super(scope, id);
    const { api, site } = props;
    if (site !== undefined && api.paths === undefined) {
      throw new Error('WebDistribution: with a `site`, `api.paths` says which paths are the API');
    }
    if (site === undefined && api.paths !== undefined) {
      throw new Error('WebDistribution: without a `site`, the API serves every path: no `paths`');
    }

    if (site !== undefined) {
      this.bucket = new s3.Bucket(this, 'Site', {
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        // DESTROY: a course lab must leave nothing behind after `cdk destroy`. The deployment
        // below deletes the files first (`retainOnDelete: false`), so the bucket is empty by then.
        removalPolicy: RemovalPolicy.DESTROY,
      });
    }

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: this.bucket === undefined ? 'The app and its API' : 'The web app (S3) and its API',
      defaultRootObject: this.bucket === undefined ? undefined : 'index.html',
      priceClass: props.priceClass ?? cloudfront.PriceClass.PRICE_CLASS_100,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      defaultBehavior:
        this.bucket === undefined ? apiBehavior(api.origin) : this.siteBehavior(this.bucket),
      additionalBehaviors: Object.fromEntries([
        ...(props.otherApis ?? []).flatMap((other) =>
          other.paths.map((path) => [path, apiBehavior(other.origin)]),
        ),
        ...(api.paths ?? []).map((path) => [path, apiBehavior(api.origin)]),
      ]),
      webAclId: props.webAclArn,
    });
    this.url = `https://${this.distribution.distributionDomainName}`;
    this.suppressDistributionFindings(props.webAclArn !== undefined);

    if (this.bucket !== undefined && site !== undefined) this.publish(this.bucket, site);
  }

  /** The site's files from the bucket, cached at the edge, pages routed to index.html. */
  private siteBehavior(bucket: s3.Bucket): cloudfront.BehaviorOptions {
    return {
      origin: origins.S3BucketOrigin.withOriginAccessControl(bucket),
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      functionAssociations: [
        {
          function: new cloudfront.Function(this, 'AppRoutes', {
            comment: 'Serves index.html for the paths the web app routes in the browser',
            runtime: cloudfront.FunctionRuntime.JS_2_0,
            code: cloudfront.FunctionCode.fromInline(APP_ROUTES_FUNCTION),
          }),
          eventType: cloudfront.FunctionEventType.VIEWER_REQUEST,
        },
      ],
    };
  }

  /** Uploads the site's files on every deploy, and the cdk-nag findings that come with it. */
  private publish(bucket: s3.Bucket, site: s3deploy.ISource): void {
    // Every file is revalidated by browsers (`no-cache`): a deploy is seen at once, and the
    // content-hashed assets cost a 304 each. The edge caches are emptied on each deploy.
    const deployment = new s3deploy.BucketDeployment(this, 'Deployment', {
      sources: [site],
      destinationBucket: bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      cacheControl: [s3deploy.CacheControl.noCache()],
      retainOnDelete: false,
      memoryLimit: 256,
      // DESTROY: the deployment function's own logs, deleted with the stack like the rest.
      logGroup: new logs.LogGroup(this, 'DeploymentLogs', {
        retention: logs.RetentionDays.ONE_WEEK,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });

    const siteBucket = Stack.of(this).getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    // The function CDK provides for every BucketDeployment of the stack (a singleton): its role
    // and its default policy are its children.
    const deploymentFunction = deployment.handlerRole.node.scope;
    if (deploymentFunction === undefined) throw new Error('BucketDeployment without a function');
    NagSuppressions.addResourceSuppressions(
      deploymentFunction,
      [
        {
          id: 'AwsSolutions-IAM4',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          ],
          reason:
            "CDK's deployment function writes its own logs with the AWS managed policy made " +
            'for exactly that.',
        },
        {
          id: 'AwsSolutions-IAM5',
          appliesTo: [
            'Action::s3:GetBucket*',
            'Action::s3:GetObject*',
            'Action::s3:List*',
            'Action::s3:Abort*',
            'Action::s3:DeleteObject*',
            {
              regex: '/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):s3:::cdk-.*-assets-.*\\/\\*$/g',
            },
            `Resource::<${siteBucket}.Arn>/*`,
            'Resource::*',
          ],
          reason:
            'Generated by BucketDeployment: read the site files from the CDK asset bucket, ' +
            'replace the objects of the site bucket, and invalidate the distribution (CloudFront ' +
            'invalidations have no resource-level permissions).',
        },
        {
          id: 'AwsSolutions-L1',
          reason:
            "The runtime of CDK's deployment function is chosen and updated by aws-cdk-lib " +
            '(it bundles the AWS CLI), not by this app.',
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(bucket, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'Server access logs need a second bucket; CloudFront is the only reader of this ' +
          'one, and its requests show in the CloudFront console metrics.',
      },
    ]);
  }

  /** The cdk-nag findings this distribution accepts on purpose, each with its reason. */
  private suppressDistributionFindings(hasWebAcl: boolean): void {
    NagSuppressions.addResourceSuppressions(this.distribution, [
      {
        id: 'AwsSolutions-CFR1',
        reason: 'A course lab is open to learners anywhere: no country is blocked.',
      },
      ...(hasWebAcl
        ? []
        : [
            {
              id: 'AwsSolutions-CFR2',
              reason:
                'AWS WAF costs at least $5 a month per web ACL plus rules; each service ' +
                'rate-limits its clients itself. `webAclArn` adds one.',
            },
          ]),
      {
        id: 'AwsSolutions-CFR3',
        reason:
          'Standard access logs need a logging bucket with ACLs enabled; the services log every ' +
          'API request to CloudWatch already.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          "The distribution uses CloudFront's own domain and certificate (no domain to buy), " +
          'which fixes the minimum viewer TLS version; a custom domain lifts it to TLS 1.2.',
      },
    ]);
  }
}

/**
 * How CloudFront treats the API's paths (all of them, when the API serves the site). Every answer is personal or changes with each request,
 * so nothing is cached; with caching disabled, this origin request policy forwards the
 * Authorization header too, with every other header (Host excepted), cookie and query string.
 */
function apiBehavior(origin: cloudfront.IOrigin): cloudfront.BehaviorOptions {
  return {
    origin,
    viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
    allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
    cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
    originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
  };
}

/**
 * A CloudFront Function (JavaScript 2.0 runtime) for the site's behaviour: a path without a
 * file extension (`/`, `/forum/12`, `/leaderboard`) is a page of the app, which routes in the
 * browser, so the edge serves `index.html` for it. Files (`/assets/app-1a2b.js`) pass through.
 */
const APP_ROUTES_FUNCTION = `
function handler(event) {
  var request = event.request;
  if (!/\\.[A-Za-z0-9]+$/.test(request.uri)) {
    request.uri = '/index.html';
  }
  return request;
}
`;
