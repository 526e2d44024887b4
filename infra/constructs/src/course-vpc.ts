import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface CourseVpcProps {
  /**
   * The VPC's address range; each subnet takes a /24 of it.
   * @default '10.0.0.0/16'
   */
  cidr?: string;
  /**
   * Availability zones to spread over.
   * @default 2 — the minimum an Application Load Balancer and an RDS subnet group accept.
   */
  maxAzs?: number;
  /**
   * How long VPC flow logs are kept.
   * @default one week — enough to debug a lab, cheap to store.
   */
  flowLogRetention?: logs.RetentionDays;
}

/**
 * The course network: one public and one isolated subnet per availability zone, and **no NAT
 * gateway** (about $0.045 an hour each, plus data). Anything that needs the internet (the app
 * hosts, the load balancer) lives in the public subnets; the database lives in the isolated ones,
 * which have no route out at all.
 *
 * Defaults: 10.0.0.0/16 over 2 AZs, /24 subnets, the default security group as AWS creates it (nothing is placed
 * in it), and flow logs of all traffic to a CloudWatch log group kept for one week and deleted
 * with the stack.
 */
export class CourseVpc extends Construct {
  readonly vpc: ec2.Vpc;
  /**
   * The VPC's address range as plain text (`vpc.vpcCidrBlock` is a CloudFormation reference),
   * for security group rules that checks such as cdk-nag can read.
   */
  readonly cidr: string;
  /** Where the flow logs go: every accepted and rejected connection, for debugging. */
  readonly flowLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: CourseVpcProps = {}) {
    super(scope, id);

    this.cidr = props.cidr ?? '10.0.0.0/16';
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(this.cidr),
      maxAzs: props.maxAzs ?? 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      // Nothing is ever placed in the default security group. Emptying it takes a custom-resource
      // Lambda whose log group CloudFormation does not own, so it would outlive `cdk destroy`.
      restrictDefaultSecurityGroup: false,
    });

    // DESTROY: a course lab must leave nothing behind (and nothing billed) after `cdk destroy`.
    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}
