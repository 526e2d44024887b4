import { CourseVpc, RouteTableRules, suppressPublicLoadBalancerFindings } from '@course/constructs';
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
}

/**
 * Stage 01 on AWS, the strangler fig: one load balancer in front of the unchanged monolith and
 * the slots service extracted from it, each with its own database. The load balancer's listener
 * rules are the route table of routes.ts, the same one the local facade routes with.
 */
export class StranglerStack extends Stack {
  constructor(scope: Construct, id: string, props: StranglerStackProps) {
    super(scope, id, props);

    // As in stage 00: public subnets for the load balancer and the hosts, isolated ones for the
    // databases, and no NAT gateway.
    const { vpc } = new CourseVpc(this, 'Network');

    // The facade on AWS: one internet-facing load balancer whose listener rules do the routing.
    const loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      internetFacing: true,
    });
    const listener = loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: true,
    });
    suppressPublicLoadBalancerFindings(loadBalancer);
    const url = `http://${loadBalancer.loadBalancerDnsName}`;

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
      // The monolith's public keys, through the load balancer (the catch-all route).
      jwksUrl: `${url}/.well-known/jwks.json`,
      monolithDatabase: monolith.database,
    });

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

    // What a learner opens in the browser and gives to `pnpm verify 01 --base-url`.
    new CfnOutput(this, 'Url', { value: url, description: 'The stage, via the load balancer' });
  }
}
