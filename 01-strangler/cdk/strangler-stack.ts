import {
  CourseVpc,
  LoadBalancerOrigin,
  RouteTableRules,
  suppressLoadBalancerFindings,
  WebDistribution,
} from '@course/constructs';
import type { RouteTable } from '@course/facade/route-table';
import { addMonolithService } from '@course/monolith/cdk';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { SlotsService } from './slots-service.ts';

/** The targets of stage 01's route table (routes.ts). */
export type StranglerTarget = 'monolith' | 'slots';

export interface StranglerStackProps extends StackProps {
  /** Who serves what: routes.ts, or a variant of it (e.g. `withCanaryShare`). */
  routes: RouteTable<StranglerTarget>;
  /** Stage 00's monolith bundle, unchanged; functions so the stack can scope the assets. */
  monolithAsset: (scope: Construct, id: string) => Asset;
  /** The slots service's bundle (see app-bundle.ts). */
  slotsAsset: (scope: Construct, id: string) => Asset;
  /**
   * The availability zones, by name: two or more in which CloudFront offers VPC origins.
   * @default the region's first two
   */
  availabilityZones?: readonly string[];
}

/**
 * Stage 01 on AWS, the strangler fig: one load balancer in front of the unchanged monolith and
 * the slots service extracted from it, each with its own database. The load balancer's listener
 * rules are the route table of routes.ts, the same one the local facade routes with. CloudFront
 * stands in front of the load balancer: HTTPS on CloudFront's own domain, the only way in.
 */
export class StranglerStack extends Stack {
  constructor(scope: Construct, id: string, props: StranglerStackProps) {
    super(scope, id, props);

    // As in stage 00: public subnets for the hosts, isolated ones for the databases and the load
    // balancer, and no NAT gateway.
    const { vpc } = new CourseVpc(this, 'Network', {
      availabilityZones: props.availabilityZones,
    });

    // The facade on AWS: one internal load balancer whose listener rules do the routing, reached
    // from the internet only through CloudFront (below). Not `open`: who may connect is admitted
    // by name.
    const loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      internetFacing: false,
    });
    const listener = loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
    });
    suppressLoadBalancerFindings(loadBalancer);

    // The monolith exactly as stage 00 deploys it (bundle, database, signing seed, host), now
    // behind the shared load balancer and saying `monolith@01` in X-Served-By.
    const monolith = addMonolithService(new Construct(this, 'Monolith'), {
      vpc,
      app: props.monolithAsset(this, 'MonolithBundle'),
      stage: '01',
      loadBalancer,
    });

    const slots = new SlotsService(this, 'Slots', {
      vpc,
      app: props.slotsAsset(this, 'SlotsBundle'),
      loadBalancer,
      // The monolith's public keys, through the load balancer (the catch-all route), inside the
      // VPC: the load balancer admits the slots host for that (below).
      jwksUrl: `http://${loadBalancer.loadBalancerDnsName}/.well-known/jwks.json`,
      monolithDatabase: monolith.database,
    });
    loadBalancer.connections.allowFrom(
      slots.host.securityGroup,
      ec2.Port.tcp(80),
      'slots -> monolith: the public keys (JWKS), through the route table',
    );

    // routes.ts → listener rules. A rule that can send traffic to a host waits until the host's
    // Auto Scaling group is complete, i.e. its instances have signalled that /readyz answers.
    new RouteTableRules(this, 'Routes', {
      listener,
      table: props.routes,
      targetGroups: { monolith: monolith.host.targetGroup, slots: slots.host.targetGroup },
      readyWhen: {
        monolith: monolith.host.autoScalingGroup,
        slots: slots.host.autoScalingGroup,
      },
    });

    // CloudFront in front, serving everything from the load balancer (the monolith serves the web
    // build): HTTPS to CloudFront, then privately into the VPC.
    const web = new WebDistribution(this, 'Web', {
      api: { origin: new LoadBalancerOrigin(this, 'Origin', { loadBalancer }).origin },
    });

    // What a learner opens in the browser and gives to `pnpm verify 01 --base-url`.
    new CfnOutput(this, 'Url', { value: web.url, description: 'The stage, via CloudFront' });
  }
}
