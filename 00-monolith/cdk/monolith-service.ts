import { NodeAppHost, PostgresDatabase, signingSeedSecret } from '@course/constructs';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

export interface MonolithServiceProps {
  vpc: ec2.IVpc;
  /** The bundled app folder (see app-bundle.ts). */
  app: Asset;
  /** The stage that deploys it, shown in X-Served-By, e.g. `monolith@00 (process)`. */
  stage: string;
  /**
   * A load balancer shared with other services, whose listener rules route to `host.targetGroup`.
   * @default its own load balancer, which sends it every request
   */
  loadBalancer?: elbv2.ApplicationLoadBalancer;
}

/** What `addMonolithService` created. */
export interface MonolithService {
  database: PostgresDatabase;
  jwtSeed: secretsmanager.Secret;
  host: NodeAppHost;
}

/**
 * The monolith on AWS: its database on RDS, the seed of its JWT signing key, and the app on EC2
 * (NodeAppHost). Stage 00 deploys it alone; stage 01 deploys it unchanged behind its route table.
 *
 * A function that adds the resources to `scope`, not a construct of its own: wrapping them would
 * change the logical ids of stage 00's resources, and CloudFormation would replace (empty) its
 * database on the next deploy.
 */
export function addMonolithService(scope: Construct, props: MonolithServiceProps): MonolithService {
  const { vpc } = props;

  // The monolith's one database. Its password is generated into Secrets Manager and never
  // leaves it except into the instances' memory at boot.
  const database = new PostgresDatabase(scope, 'Database', {
    vpc,
    databaseName: 'monolith',
    username: 'monolith',
  });

  // Every instance derives the same JWT signing key from this secret at boot.
  const jwtSeed = signingSeedSecret(scope, 'JwtSigningSeed', { signer: 'monolith' });

  // The app: the bundle from app-bundle.ts, unpacked on each instance and run by systemd.
  // Migrations run before every start; the secrets become its environment file at boot
  // (runtime/environment.ts reads them by these names).
  const host = new NodeAppHost(scope, 'App', {
    vpc,
    name: 'course-monolith',
    app: props.app,
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
      STAGE: props.stage,
      // Two proxies stand in front: CloudFront adds the viewer's address to X-Forwarded-For,
      // the load balancer adds CloudFront's. Believe exactly those two (rate limiting per client).
      TRUST_PROXY: '2',
      WEB_DIST_DIR: '/opt/course-monolith/web',
    },
    port: 3000,
    healthCheckPath: '/readyz',
    loadBalancer: props.loadBalancer,
  });

  // Only the app's instances may reach PostgreSQL.
  database.allowFrom(host.securityGroup);

  return { database, jwtSeed, host };
}
