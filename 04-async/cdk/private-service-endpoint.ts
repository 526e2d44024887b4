import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export interface PrivateServiceEndpointProps {
  vpc: ec2.Vpc;
  service: ec2.InterfaceVpcEndpointAwsService;
  /** The service's name in the descriptions, e.g. 'SNS'. */
  serviceName: string;
  /** The security group of the only clients: admitted on 443, and let out to the endpoint. */
  clients: ec2.SecurityGroup;
  /** The endpoint policy: one statement each, these actions on these resources, whoever the caller. */
  allow: ReadonlyArray<{ actions: string[]; resources: string[] }>;
}

/**
 * How functions in the isolated subnets (no route out) reach an AWS service's API: an interface
 * endpoint in one zone's isolated subnet, with private DNS, so the SDK's usual
 * `<service>.<region>.amazonaws.com` resolves to it from the whole VPC. One zone halves the hourly
 * price; the other zone's functions cross zones to it. Its security group admits HTTPS from the
 * clients' group only and lets nothing out; the clients' group may reach it on 443. Its policy
 * allows only `allow` (defence in depth: whatever a role in the VPC may otherwise do, through the
 * endpoint it can do only that).
 *
 * Its construct ids are `<id>Endpoint` (in the VPC) and `<id>EndpointSecurityGroup` (in `scope`).
 */
export function addPrivateServiceEndpoint(
  scope: Construct,
  id: string,
  props: PrivateServiceEndpointProps,
): ec2.InterfaceVpcEndpoint {
  const { vpc, serviceName, clients } = props;
  const securityGroup = new ec2.SecurityGroup(scope, `${id}EndpointSecurityGroup`, {
    vpc,
    description: `${serviceName} interface endpoint: HTTPS from the slots functions; nothing out`,
    allowAllOutbound: false,
  });
  securityGroup.addIngressRule(
    clients,
    ec2.Port.tcp(443),
    `HTTPS from the slots functions (${props.allow.flatMap((a) => a.actions).join(', ')})`,
  );
  clients.addEgressRule(securityGroup, ec2.Port.tcp(443), `HTTPS to the ${serviceName} endpoint`);
  const endpoint = vpc.addInterfaceEndpoint(`${id}Endpoint`, {
    service: props.service,
    subnets: { subnets: vpc.isolatedSubnets.slice(0, 1) },
    privateDnsEnabled: true,
    securityGroups: [securityGroup],
    open: false,
  });
  for (const { actions, resources } of props.allow) {
    endpoint.addToPolicy(
      new iam.PolicyStatement({ principals: [new iam.AnyPrincipal()], actions, resources }),
    );
  }
  return endpoint;
}
