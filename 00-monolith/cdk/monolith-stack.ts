import { CourseVpc, NodeAppHost, PostgresDatabase } from '@course/constructs';
import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';

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

    // The monolith's one database. Its password is generated into Secrets Manager and never
    // leaves it except into the instances' memory at boot.
    const database = new PostgresDatabase(this, 'Database', {
      vpc,
      databaseName: 'monolith',
      username: 'monolith',
    });

    // The JWT signing key is derived from this random value at boot, so every instance signs
    // with the same key and tokens survive an instance replacement.
    const jwtSeed = new secretsmanager.Secret(this, 'JwtSigningSeed', {
      description: 'Seed of the monolith JWT signing key (Ed25519), derived at boot',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      // DESTROY: a course lab must leave nothing behind after `cdk destroy`.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // The app: the bundle from app-bundle.ts, unpacked on each instance and run by systemd.
    // Migrations run before every start; the secrets become its environment file at boot.
    const host = new NodeAppHost(this, 'App', {
      vpc,
      name: 'course-monolith',
      app: props.appAsset(this, 'Bundle'),
      startScript: 'server.mjs',
      preStartScript: 'migrate.mjs',
      secrets: { database: database.secret, 'jwt-seed': jwtSeed },
      environmentScript: 'write-environment.mjs',
      setupCommands: [
        // RDS requires TLS: the app checks the database's certificate against Amazon's CAs.
        'curl -fsSL https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem ' +
          '-o /opt/course-monolith/rds-ca.pem',
      ],
      environment: {
        NODE_ENV: 'production',
        STAGE: '00',
        // One load balancer in front: believe its X-Forwarded-For (rate limiting per client).
        TRUST_PROXY: '1',
        WEB_DIST_DIR: '/opt/course-monolith/web',
      },
      port: 3000,
      healthCheckPath: '/readyz',
    });

    // Only the app's instances may reach PostgreSQL.
    database.allowFrom(host.securityGroup);

    // What a learner opens in the browser and gives to `pnpm verify 00 --base-url`.
    new CfnOutput(this, 'Url', { value: host.url, description: 'The monolith, via the ALB' });

    // Deliberate shortcuts of a low-cost lab, each reported by cdk-nag and explained here.
    NagSuppressions.addResourceSuppressions(
      jwtSeed,
      [
        {
          id: 'AwsSolutions-SMG4',
          reason:
            'Rotating the seed would change the signing key and log every user out; a lab ' +
            'stack lives for hours. Key rotation with two published keys is a later stage.',
        },
      ],
      true,
    );
  }
}
