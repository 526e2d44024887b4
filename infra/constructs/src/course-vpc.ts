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
   * The availability zones to use, by name (`us-east-1a`): at least two, the minimum an
   * Application Load Balancer and an RDS subnet group accept. CloudFront VPC origins are not
   * offered in every zone (see the stage READMEs for the check), so a learner may need to pick.
   * @default the first two zones of the region
   */
  availabilityZones?: readonly string[];
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
 * Defaults: 10.0.0.0/16 over the region's first 2 AZs, /24 subnets, the default security group as AWS creates it (nothing is placed
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
    const zones =
      props.availabilityZones === undefined
        ? { maxAzs: 2 }
        : { availabilityZones: checkedZoneNames(props.availabilityZones) };
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(this.cidr),
      ...zones,
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

/** An AZ name as EC2 spells it: the region and a letter (`us-east-1a`, `ap-southeast-4b`). */
const ZONE_NAME = /^[a-z]{2}(-[a-z]+)+-\d+[a-z]$/;
/** An AZ id, the same place in every account (`use1-az3`), which the VPC cannot take. */
const ZONE_ID = /^[a-z]+\d+-az\d+$/;

function checkedZoneNames(zones: readonly string[]): string[] {
  const ids = zones.filter((zone) => ZONE_ID.test(zone));
  if (ids.length > 0) {
    throw new Error(
      `CourseVpc: ${ids.join(', ')} ${ids.length === 1 ? 'is a zone id' : 'are zone ids'}; give ` +
        'zone names (us-east-1a…). `aws ec2 describe-availability-zones --query ' +
        '"AvailabilityZones[].[ZoneName,ZoneId]" --output text` shows which name is which id ' +
        'in your account.',
    );
  }
  const invalid = zones.filter((zone) => !ZONE_NAME.test(zone));
  if (invalid.length > 0) {
    throw new Error(`CourseVpc: not an availability zone name: ${invalid.join(', ')}`);
  }
  if (new Set(zones).size < 2) {
    throw new Error(
      'CourseVpc: at least two different availability zones are needed (a load balancer and ' +
        `an RDS subnet group span two); got ${zones.join(', ') || 'none'}`,
    );
  }
  return [...zones];
}

/**
 * The `availabilityZones` context value (`cdk deploy -c availabilityZones=us-east-1a,us-east-1b`
 * gives a string, cdk.json or cdk.context.json may give a list) as a list of zone names, or
 * undefined when it is not set. For a stage's cdk/app.ts, the only reader of the context.
 */
export function availabilityZonesOption(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items) || items.some((item) => typeof item !== 'string')) {
    throw new Error(
      'availabilityZones: give zone names separated by commas, e.g. us-east-1a,us-east-1b',
    );
  }
  return items.map((item: string) => item.trim()).filter((item) => item !== '');
}
