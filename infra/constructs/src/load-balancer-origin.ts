import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

/**
 * The AWS-managed prefix list of CloudFront's origin-facing servers (IPv4). CloudFront's guide
 * to VPC origins names it as a way to let CloudFront into an origin's security group.
 */
export const CLOUDFRONT_ORIGIN_FACING = 'com.amazonaws.global.cloudfront.origin-facing';

/**
 * What a rule admitting that prefix list counts against a security group's inbound rules quota
 * (60 by default): its weight, as the VPC guide's list of AWS-managed prefix lists gives it.
 */
export const CLOUDFRONT_ORIGIN_FACING_WEIGHT = 55;

/** The inbound rules a security group may hold, by default (a VPC quota). */
export const SECURITY_GROUP_INBOUND_RULES_QUOTA = 60;

export interface LoadBalancerOriginProps {
  /**
   * An internal load balancer (VPC origins reach private origins only), for example in the
   * isolated subnets of a CourseVpc, with an HTTP listener on `httpPort`. Give it no other
   * inbound rule that opens it wide: this construct's rule is meant to be the way in.
   */
  loadBalancer: elbv2.ApplicationLoadBalancer;
  /**
   * The port of the load balancer's HTTP listener, to which CloudFront connects.
   * @default 80
   */
  httpPort?: number;
}

/**
 * An internal Application Load Balancer as a CloudFront VPC origin, and the inbound rule that
 * lets CloudFront in: give `origin` to a `WebDistribution`.
 *
 * CloudFront reaches a VPC origin through network interfaces it places in the VPC's subnets, with
 * private addresses of the VPC; but the source address the load balancer sees is not in the
 * VPC's range: it is one of CloudFront's origin-facing servers. CloudFront's guide ("Restrict
 * access with VPC origins") names two ways to admit that traffic. One is the security group
 * CloudFront creates for the interfaces, `CloudFront-VPCOrigins-Service-SG`; it exists
 * only once the VPC origin does and has no CloudFormation handle, so admitting it would take a
 * second step (a lookup) after the distribution is deployed.
 * The other, chosen here, is the managed prefix list of CloudFront's origin-facing servers,
 * which can be admitted before the origin exists. Its id differs per region, so a small
 * custom resource looks it up at deploy time (`ec2:DescribeManagedPrefixLists`): synthesis stays
 * offline and region-independent. The price: a managed prefix list counts as its maximum size
 * (about 55 entries) against the 60 inbound rules a security group may hold by default, so the
 * load balancer keeps room for a few rules more, not for another prefix list.
 *
 * The prefix list admits CloudFront as a whole, not one distribution; what keeps other
 * distributions out is that the load balancer is internal, so CloudFront reaches it only through
 * this VPC origin, which serves the distributions of its own account (and those it is
 * explicitly shared with) only.
 *
 * Defaults: HTTP on port 80 from CloudFront to the load balancer (inside the VPC; viewers still
 * get HTTPS from CloudFront), the lookup's function logging to a log group kept one week and
 * deleted with the stack.
 */
export class LoadBalancerOrigin extends Construct {
  /** The VPC origin, for `WebDistribution`'s `api.origin`. */
  readonly origin: cloudfront.IOrigin;
  /** The id (`pl-…`) of CloudFront's origin-facing prefix list, known at deploy time. */
  readonly prefixListId: string;

  constructor(scope: Construct, id: string, props: LoadBalancerOriginProps) {
    super(scope, id);
    const httpPort = props.httpPort ?? 80;
    const scheme = (props.loadBalancer.node.defaultChild as elbv2.CfnLoadBalancer).scheme;
    if (scheme !== 'internal') {
      throw new Error(
        'LoadBalancerOrigin: a CloudFront VPC origin must be an internal load balancer ' +
          '(`internetFacing: false`)',
      );
    }

    this.prefixListId = cloudFrontPrefixListId(this);
    props.loadBalancer.connections.allowFrom(
      ec2.Peer.prefixList(this.prefixListId),
      ec2.Port.tcp(httpPort),
      "HTTP from CloudFront's origin-facing servers (its VPC origin)",
    );
    this.origin = origins.VpcOrigin.withApplicationLoadBalancer(props.loadBalancer, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTP_ONLY,
      httpPort,
    });
  }
}

/**
 * The id of CloudFront's origin-facing prefix list, looked up at deploy time by one custom
 * resource per stack, however many load balancers admit CloudFront.
 */
function cloudFrontPrefixListId(scope: Construct): string {
  const stack = Stack.of(scope);
  const id = 'CloudFrontOriginFacingPrefixList';
  const existing = stack.node.tryFindChild(id);
  const lookup = existing instanceof cr.AwsCustomResource ? existing : newLookup(stack, id);
  return lookup.getResponseField('PrefixLists.0.PrefixListId');
}

function newLookup(stack: Stack, id: string): cr.AwsCustomResource {
  const describe: cr.AwsSdkCall = {
    service: 'EC2',
    action: 'DescribeManagedPrefixLists',
    parameters: { Filters: [{ Name: 'prefix-list-name', Values: [CLOUDFRONT_ORIGIN_FACING] }] },
    physicalResourceId: cr.PhysicalResourceId.fromResponse('PrefixLists.0.PrefixListId'),
    outputPaths: ['PrefixLists.0.PrefixListId'],
  };
  const lookup = new cr.AwsCustomResource(stack, id, {
    onCreate: describe,
    onUpdate: describe,
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({
      resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE,
    }),
    // The SDK that the Lambda runtime ships: no download from npm at deploy time.
    installLatestAwsSdk: false,
    // DESTROY: the lookup function's logs go with the stack, like every other log group.
    logGroup: new logs.LogGroup(stack, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    }),
  });

  // The provider function CDK shares between every AwsCustomResource of the stack: its role and
  // the role's policies are its children.
  const role = lookup.grantPrincipal;
  const provider = role instanceof Construct ? role.node.scope : undefined;
  if (provider === undefined) throw new Error('AwsCustomResource without a provider function');
  NagSuppressions.addResourceSuppressions(
    provider,
    [
      {
        id: 'AwsSolutions-IAM4',
        appliesTo: [
          'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
        ],
        reason:
          "CDK's custom-resource function writes its own logs with the AWS managed policy made " +
          'for exactly that.',
      },
      {
        id: 'AwsSolutions-L1',
        reason:
          "The runtime of CDK's custom-resource function is chosen and updated by aws-cdk-lib, " +
          'not by this app.',
      },
    ],
    true,
  );
  NagSuppressions.addResourceSuppressions(
    lookup,
    [
      {
        id: 'AwsSolutions-IAM5',
        appliesTo: ['Resource::*'],
        reason:
          'ec2:DescribeManagedPrefixLists, the only action granted, is a read-only Describe ' +
          'call that supports no resource-level permissions.',
      },
    ],
    true,
  );
  return lookup;
}
