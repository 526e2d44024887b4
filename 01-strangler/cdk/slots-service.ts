import { NodeAppHost, PostgresDatabase } from '@course/constructs';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { SLOTS_SECRETS } from './runtime/environment.ts';

export interface SlotsServiceProps {
  vpc: ec2.IVpc;
  /** The bundled slots service (see app-bundle.ts). */
  app: Asset;
  /** The stage's one load balancer; the route table's rules send the slots routes here. */
  loadBalancer: elbv2.ApplicationLoadBalancer;
  /** Where the monolith publishes its public keys, e.g. http://<internal alb>/.well-known/jwks.json. */
  jwksUrl: string;
  /** The monolith's database, which the wallet handoff copies wallets from (and back). */
  monolithDatabase: PostgresDatabase;
}

/**
 * The first service cut out of the monolith: the slot machine, on its own EC2 host behind the
 * stage's load balancer, with its own PostgreSQL on RDS that nothing else can reach. It signs
 * nothing: it verifies the monolith's tokens with the keys the monolith publishes.
 */
export class SlotsService extends Construct {
  readonly database: PostgresDatabase;
  readonly host: NodeAppHost;

  constructor(scope: Construct, id: string, props: SlotsServiceProps) {
    super(scope, id);

    // Database per service: the wallets and spins, and nothing else, on a server of their own.
    this.database = new PostgresDatabase(this, 'Database', {
      vpc: props.vpc,
      databaseName: 'slots',
      username: 'slots',
    });

    this.host = new NodeAppHost(this, 'App', {
      vpc: props.vpc,
      name: 'course-slots',
      app: props.app,
      loadBalancer: props.loadBalancer,
      startScript: 'server.mjs',
      preStartScript: 'migrate.mjs',
      secrets: {
        [SLOTS_SECRETS.database]: this.database.secret,
        // Only for the wallet handoff that a learner runs by hand (wallets.mjs, see the README).
        [SLOTS_SECRETS.monolithDatabase]: props.monolithDatabase.secret,
      },
      environmentScript: 'write-environment.mjs',
      setupCommands: [
        // RDS requires TLS: the service checks the databases' certificates against Amazon's CAs.
        'curl -fsSL https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem ' +
          '-o /opt/course-slots/rds-ca.pem',
      ],
      environment: {
        NODE_ENV: 'production',
        STAGE: '01',
        // Two proxies stand in front: CloudFront adds the viewer's address to X-Forwarded-For,
        // the load balancer adds CloudFront's. Believe exactly those two (rate limiting per
        // client).
        TRUST_PROXY: '2',
        // The monolith still issues every token; the keys come through the load balancer, so
        // no secret is shared between the two.
        TOKEN_ISSUER: 'monolith',
        JWKS_URL: props.jwksUrl,
      },
      port: 3000,
      healthCheckPath: '/readyz',
    });

    // Only the slots instances may reach the slots database.
    this.database.allowFrom(this.host.securityGroup);
    // The strangler's transitional coupling: the slots host may also reach the monolith's
    // database, for the wallet handoff only (the service itself never connects to it). Removed
    // with the monolith's slots tables, once no wallet lives there any more.
    props.monolithDatabase.allowFrom(this.host.securityGroup);
  }
}
