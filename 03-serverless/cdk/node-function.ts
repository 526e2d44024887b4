import { markApplicationFunction } from '@course/constructs';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';

export interface NodeFunctionProps {
  /** The handler's source file (it exports `handler`). */
  entry: string;
  description: string;
  environment: Record<string, string>;
  /** The VPC the function runs in, in these subnets and this security group. @default none */
  vpc?: ec2.IVpc;
  vpcSubnets?: ec2.SubnetSelection;
  securityGroup?: ec2.ISecurityGroup;
  /**
   * Far above a spin's few milliseconds of work and a cold start's second or two, and well below
   * API Gateway's 30-second integration timeout: a stuck call ends at the function's own timeout,
   * logged as such in its REPORT line, long before the integration's.
   * @default 10 seconds
   */
  timeout?: Duration;
  /**
   * Memory, and with it CPU (Lambda gives a full vCPU at 1,769 MB): 512 MB starts Prisma's query
   * compiler and a TLS connection in a cold start at a quarter of the price of 2 GB.
   * @default 512 MB
   */
  memorySize?: number;
  /** @default none: the account's unreserved concurrency */
  reservedConcurrentExecutions?: number;
}

/** The banner that lets CommonJS dependencies (pg) `require` Node's modules from an ESM bundle. */
const CREATE_REQUIRE_BANNER =
  "import { createRequire as __courseCreateRequire } from 'node:module'; const require = __courseCreateRequire(import.meta.url);";

/**
 * One function of the application (stage 03's slots functions, and later stages' consumers and
 * jobs, in a VPC or not): Node.js 24 on ARM64 (Graviton: about 20 % cheaper per GB-second than x86),
 * bundled into one minified ES module by the esbuild installed in the workspace — never in Docker
 * (`forceDockerBundling: false`; were esbuild missing, CDK would silently try Docker, which a test
 * rules out) — with a source map for readable stack traces, but without the sources inside it, so
 * the zip stays small. Its logs go to a log group of its own, kept a week and deleted with the
 * stack. Marked as the application's own, so the local AWS runtime serves it.
 */
export function nodeFunction(
  scope: Construct,
  id: string,
  props: NodeFunctionProps,
): NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: logs.RetentionDays.ONE_WEEK,
    // DESTROY: a course lab must leave nothing behind (and nothing billed) after `cdk destroy`.
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const fn = markApplicationFunction(
    new NodejsFunction(scope, id, {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroup && [props.securityGroup],
      environment: {
        ...props.environment,
        // Stack traces through the source map, mapped back to the TypeScript files.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        mainFields: ['module', 'main'],
        banner: CREATE_REQUIRE_BANNER,
        target: 'node24',
        minify: true,
        // Minified, every class would be called `A` or `e`, and so would every error in the logs
        // (the logger reads an error's type from its constructor's name).
        keepNames: true,
        sourceMap: true,
        sourcesContent: false,
        // Bundle everything, the AWS SDK clients included: @aws-sdk/rds-signer is not in the
        // runtime at all, and a bundled client is the version the tests ran with.
        externalModules: [],
      },
    }),
  );
  NagSuppressions.addResourceSuppressions(
    fn,
    [
      {
        id: 'AwsSolutions-IAM4',
        appliesTo: [
          'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
        ],
        reason:
          "The AWS managed policies made for exactly this: writing the function's own logs, and " +
          'creating and deleting the network interfaces that place it in the VPC.',
      },
    ],
    true,
  );
  return fn;
}
