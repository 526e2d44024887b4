import { CourseVpc, LoadBalancerOrigin, WebDistribution } from '@course/constructs';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import { addMonolithService } from './monolith-service.ts';

export interface MonolithStackProps extends StackProps {
  /** The bundled app folder (see app-bundle.ts); a function so the stack can scope it. */
  appAsset: (scope: Construct, id: string) => Asset;
  /**
   * The availability zones, by name: two or more in which CloudFront offers VPC origins.
   * @default the region's first two
   */
  availabilityZones?: readonly string[];
}

/**
 * Stage 00 on AWS: the monolith on EC2 behind a load balancer, with its database on RDS, and
 * CloudFront in front: HTTPS on CloudFront's own domain, the only way in.
 */
export class MonolithStack extends Stack {
  constructor(scope: Construct, id: string, props: MonolithStackProps) {
    super(scope, id, props);

    // The network: public subnets for the app, isolated ones for the database and the load
    // balancer, and no NAT gateway, the most expensive idle resource of a small VPC.
    const { vpc } = new CourseVpc(this, 'Network', {
      availabilityZones: props.availabilityZones,
    });

    // The database, the JWT signing seed and the app behind its own internal load balancer.
    const { host } = addMonolithService(this, {
      vpc,
      app: props.appAsset(this, 'Bundle'),
      stage: '00',
    });

    // CloudFront in front, serving everything from the load balancer (the monolith serves the web
    // build itself): passwords and tokens travel over HTTPS to CloudFront, then privately
    // inside the VPC, and the load balancer admits CloudFront only.
    const web = new WebDistribution(this, 'Web', {
      api: {
        origin: new LoadBalancerOrigin(this, 'Origin', { loadBalancer: host.loadBalancer }).origin,
      },
    });

    // What a learner opens in the browser and gives to `pnpm verify 00 --base-url`.
    new CfnOutput(this, 'Url', { value: web.url, description: 'The monolith, via CloudFront' });
  }
}
