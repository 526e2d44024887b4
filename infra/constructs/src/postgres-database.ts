import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface PostgresDatabaseProps {
  /** The VPC; the database goes into its isolated subnets. */
  vpc: ec2.IVpc;
  /**
   * The database created inside the server.
   * @default 'app'
   */
  databaseName?: string;
  /**
   * The master user, whose generated password lands in Secrets Manager.
   * @default 'app'
   */
  username?: string;
  /**
   * @default PostgreSQL 17
   */
  engineVersion?: rds.PostgresEngineVersion;
  /**
   * @default db.t4g.micro — the smallest Graviton class, about $0.016 an hour in us-east-1.
   */
  instanceType?: ec2.InstanceType;
  /**
   * Storage in GiB (gp3).
   * @default 20 — the minimum for gp3.
   */
  allocatedStorageGiB?: number;
  /**
   * Whether roles granted `rds_iam` log in with an IAM authentication token instead of a password
   * (`instance.grantConnect(grantee, role)` allows one to sign it).
   * @default false
   */
  iamAuthentication?: boolean;
}

/**
 * A PostgreSQL server on RDS for one service's database, or for several services' databases,
 * each with a role of its own (`addUser`).
 *
 * Defaults: PostgreSQL 17 on db.t4g.micro, 20 GiB gp3, storage encrypted, single-AZ, one day of
 * automated backups, not publicly accessible, in the VPC's isolated subnets, and a security
 * group that admits nobody until `allowFrom(peer)` opens port 5432 to a given security group.
 * The master password is generated into Secrets Manager (`secret`: a JSON object with
 * `username`, `password`, `host`, `port` and `dbname`); nothing else ever holds it.
 * `cdk destroy` deletes the server without a final snapshot.
 */
export class PostgresDatabase extends Construct {
  readonly instance: rds.DatabaseInstance;
  /** The generated credentials; grant read access with `secret.grantRead(role)`. */
  readonly secret: secretsmanager.ISecret;
  readonly databaseName: string;
  private readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    this.databaseName = props.databaseName ?? 'app';

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'PostgreSQL: 5432 from the app security groups only',
      allowAllOutbound: false,
    });

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine: rds.DatabaseInstanceEngine.postgres({
        version: props.engineVersion ?? rds.PostgresEngineVersion.VER_17,
      }),
      instanceType:
        props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [this.securityGroup],
      publiclyAccessible: false,
      iamAuthentication: props.iamAuthentication,
      credentials: rds.Credentials.fromGeneratedSecret(props.username ?? 'app'),
      databaseName: this.databaseName,
      allocatedStorage: props.allocatedStorageGiB ?? 20,
      storageType: rds.StorageType.GP3,
      storageEncrypted: true,
      multiAz: false,
      backupRetention: Duration.days(1),
      // DESTROY without a final snapshot: a course lab must leave nothing behind (and nothing
      // billed) after `cdk destroy`. A real service would keep RETAIN or SNAPSHOT here.
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
      deleteAutomatedBackups: true,
    });
    const secret = this.instance.secret;
    if (secret === undefined) throw new Error('RDS did not create the generated secret');
    this.secret = secret;

    // The checks this database fails on purpose: it is a low-cost, short-lived course lab.
    NagSuppressions.addResourceSuppressions(
      this.instance,
      [
        {
          id: 'AwsSolutions-RDS3',
          reason:
            'Single-AZ halves the cost; a lab tolerates the minutes of downtime a failover avoids.',
        },
        {
          id: 'AwsSolutions-RDS10',
          reason:
            '`cdk destroy` must be able to delete the database, leaving nothing billed behind.',
        },
        {
          id: 'AwsSolutions-RDS11',
          reason:
            'A non-default port hides nothing here: only the app security group can reach 5432.',
        },
        {
          id: 'AwsSolutions-SMG4',
          reason:
            'Rotation needs a rotation Lambda that reaches both RDS and Secrets Manager, i.e. a ' +
            'NAT gateway or VPC endpoints this course avoids for cost; a lab lives for hours.',
        },
      ],
      true,
    );
  }

  /**
   * Opens 5432 to one security group (the app's), and to nothing else. A peer that restricts
   * its outbound traffic also gets the matching rule out to the database.
   */
  allowFrom(peer: ec2.ISecurityGroup): void {
    this.securityGroup.addIngressRule(peer, ec2.Port.tcp(5432), 'PostgreSQL from the app');
    if (!peer.allowAllOutbound) {
      peer.addEgressRule(this.securityGroup, ec2.Port.tcp(5432), 'PostgreSQL to the database');
    }
  }

  /**
   * Generated credentials for one more role, `name`, and a database of the same name on this
   * server: a secret shaped like the master's (`username`, `password`, `host`, `port`,
   * `dbname`). The secret only holds them: the role and the database do not exist until
   * something creates them with the master credentials, owned by that role, so that each service
   * can reach its own database and no other. Give the master secret to that one step only (stage
   * 02: a `DeployTimeTask`), never to the services: whoever holds it can read and drop every
   * database on the server.
   */
  addUser(name: string): secretsmanager.ISecret {
    // Deleted with the stack, like the master's (DatabaseSecret's default).
    const secret = new rds.DatabaseSecret(this, `${name}User`, { username: name, dbname: name });
    NagSuppressions.addResourceSuppressions(secret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotation needs a rotation Lambda that reaches both RDS and Secrets Manager, i.e. a ' +
          'NAT gateway or VPC endpoints this course avoids for cost; a lab lives for hours.',
      },
    ]);
    // The attachment adds the server's host and port to the secret, as RDS does for the master's.
    return secret.attach(this.instance);
  }
}
