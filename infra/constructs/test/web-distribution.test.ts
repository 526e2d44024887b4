import { runInNewContext } from 'node:vm';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { describe, expect, it } from 'vitest';
import { WebDistribution } from '../src/index.ts';

const API_PATHS = ['/api/*', '/healthz'];

const apiOrigin = () => new origins.HttpOrigin('api.example.com');

/** A site on S3 with the API's paths sent to the API. */
function synthSite(): Template {
  const stack = new Stack(new App(), 'Test');
  new WebDistribution(stack, 'Web', {
    site: s3deploy.Source.data('index.html', '<!doctype html><p>app</p>'),
    api: { origin: apiOrigin(), paths: API_PATHS },
  });
  return Template.fromStack(stack);
}

/** An app that serves its own web build: everything from the API's origin. */
function synthAppOnly(): { template: Template; web: WebDistribution } {
  const stack = new Stack(new App(), 'Test');
  const web = new WebDistribution(stack, 'Web', { api: { origin: apiOrigin() } });
  return { template: Template.fromStack(stack), web };
}

interface DistributionConfig {
  DefaultCacheBehavior: Record<string, unknown> & { TargetOriginId: string };
  CacheBehaviors?: Array<Record<string, unknown>>;
  Origins: Array<{ Id: string; OriginAccessControlId?: unknown; DomainName: unknown }>;
}

function distributionConfig(template: Template): DistributionConfig {
  const [distribution] = Object.values(template.findResources('AWS::CloudFront::Distribution'));
  return distribution?.Properties.DistributionConfig as DistributionConfig;
}

/** Runs the site behaviour's CloudFront Function on a request for `uri`; returns the new uri. */
function routedUri(template: Template, uri: string): string {
  const [fn] = Object.values(template.findResources('AWS::CloudFront::Function'));
  const code = fn?.Properties.FunctionCode as string;
  const event = { request: { uri, method: 'GET', headers: {} } };
  return runInNewContext(`${code}\nhandler(event).uri`, { event }) as string;
}

describe('WebDistribution', () => {
  it('keeps the site in a private, encrypted bucket that refuses plain HTTP', () => {
    const template = synthSite();

    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('lets only its distribution read the bucket, through origin access control', () => {
    const template = synthSite();

    const config = distributionConfig(template);
    const site = config.Origins.find((o) => o.Id === config.DefaultCacheBehavior.TargetOriginId);

    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    expect(site?.OriginAccessControlId).toBeDefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:GetObject',
            Principal: { Service: 'cloudfront.amazonaws.com' },
            Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  it('serves index.html for the pages the app routes in the browser, files as they are', () => {
    const template = synthSite();

    expect(routedUri(template, '/')).toBe('/index.html');
    expect(routedUri(template, '/forum/12')).toBe('/index.html');
    expect(routedUri(template, '/leaderboard')).toBe('/index.html');
    expect(routedUri(template, '/assets/index-1a2b3c.js')).toBe('/assets/index-1a2b3c.js');
    expect(routedUri(template, '/favicon.svg')).toBe('/favicon.svg');
  });

  it('redirects HTTP to HTTPS and caches the site at the edge', () => {
    const template = synthSite();

    expect(distributionConfig(template).DefaultCacheBehavior).toMatchObject({
      ViewerProtocolPolicy: 'redirect-to-https',
      // The managed CachingOptimized policy.
      CachePolicyId: '658327ea-f89d-4fab-a63d-7e88639e58f6',
    });
  });

  it('sends the API paths to the API origin, uncached, with all viewer data but Host', () => {
    const template = synthSite();

    const config = distributionConfig(template);
    const api = config.Origins.find((o) => JSON.stringify(o.DomainName) === '"api.example.com"');

    expect(config.CacheBehaviors?.map((behavior) => behavior.PathPattern)).toEqual(API_PATHS);
    for (const behavior of config.CacheBehaviors ?? []) {
      expect(behavior).toMatchObject({
        TargetOriginId: api?.Id,
        // The managed CachingDisabled and AllViewerExceptHostHeader policies.
        CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
        OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
        AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
        ViewerProtocolPolicy: 'redirect-to-https',
      });
    }
  });

  it('without a site, sends every path to the API origin, uncached, and creates no bucket', () => {
    const { template, web } = synthAppOnly();

    const config = distributionConfig(template);

    expect(config.Origins).toHaveLength(1);
    expect(JSON.stringify(config.Origins[0]?.DomainName)).toBe('"api.example.com"');
    expect(config.CacheBehaviors).toBeUndefined();
    expect(config.DefaultCacheBehavior).toMatchObject({
      TargetOriginId: config.Origins[0]?.Id,
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      ViewerProtocolPolicy: 'redirect-to-https',
    });
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('Custom::CDKBucketDeployment', 0);
    template.resourceCountIs('AWS::CloudFront::Function', 0);
    expect(web.bucket).toBeUndefined();
    expect(web.url).toMatch(/^https:\/\//);
  });

  it('refuses API paths without a site, and a site without API paths', () => {
    const stack = new Stack(new App(), 'Test');
    const site = s3deploy.Source.data('index.html', '<p>app</p>');

    expect(
      () => new WebDistribution(stack, 'A', { api: { origin: apiOrigin(), paths: API_PATHS } }),
    ).toThrow(/without a `site`/);
    expect(() => new WebDistribution(stack, 'B', { site, api: { origin: apiOrigin() } })).toThrow(
      /`api.paths`/,
    );
  });

  it('publishes the files, empties the edge caches, and deletes the files on destroy', () => {
    const template = synthSite();

    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DistributionPaths: ['/*'],
      RetainOnDelete: false,
      SystemMetadata: { 'cache-control': 'no-cache' },
    });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
  });
});
