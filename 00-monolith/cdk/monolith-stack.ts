import { CourseVpc } from '@course/constructs';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type { Construct } from 'constructs';
import { addMonolithService } from './monolith-service.ts';

export interface MonolithStackProps extends StackProps {
  /** The bundled app folder (see app-bundle.ts); a function so the stack can scope it. */
  appAsset: (scope: Construct, id: string) => Asset;
}

/** Stage 00 on AWS: the monolith on EC2 behind a load balancer, with its database on RDS. */
export class MonolithStack extends Stack {
  constructor(scope: Construct, id: string, props: MonolithStackProps) {
    super(scope, id, props);

    // The network: public subnets for the load balancer and the app, isolated ones for the
    // database, and no NAT gateway, the most expensive idle resource of a small VPC.
    const { vpc } = new CourseVpc(this, 'Network');

    // The database, the JWT signing seed and the app behind its own load balancer.
    const { host } = addMonolithService(this, {
      vpc,
      app: props.appAsset(this, 'Bundle'),
      stage: '00',
    });

    // What a learner opens in the browser and gives to `pnpm verify 00 --base-url`.
    new CfnOutput(this, 'Url', { value: host.url, description: 'The monolith, via the ALB' });
  }
}
