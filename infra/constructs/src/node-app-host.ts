import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

/** How long a new instance may take to boot, migrate and answer `/readyz` before a deploy fails. */
const BOOT_TIMEOUT = Duration.minutes(15);
/** The part of BOOT_TIMEOUT that user data spends waiting for `/readyz` after starting the unit. */
const READINESS_WAIT_SECONDS = 600;

export interface NodeAppHostProps {
  vpc: ec2.IVpc;
  /**
   * The app folder, zipped into S3 by CDK. It must hold a Node 24 runtime for linux-arm64 at
   * `node/bin/node` and the scripts named below (`.mjs` bundles: no `npm install` on the host).
   */
  app: s3assets.Asset;
  /**
   * The systemd unit (`<name>.service`), the unprivileged user it runs as, `/opt/<name>` (the
   * app folder) and `/etc/<name>` (its environment file).
   * @default 'app'
   */
  name?: string;
  /**
   * The server, relative to the app folder; `ExecStart` runs it with the bundled Node.
   * @default 'server.mjs'
   */
  startScript?: string;
  /**
   * Run by `ExecStartPre` before every start (migrations, for instance); the server does not
   * start if it fails.
   * @default none
   */
  preStartScript?: string;
  /**
   * Secrets the host reads at boot, by name. Each one's SecretString is handed, as a file
   * `<dir>/<name>.json`, to `environmentScript`; the files are deleted afterwards.
   * @default none
   */
  secrets?: Record<string, secretsmanager.ISecret>;
  /**
   * A script in the app folder, run once at boot as the service user with the secrets folder as
   * its argument, that prints `KEY=value` lines for the service's environment file
   * (`/etc/<name>/app.env`, readable only by the service user). Required when `secrets` is set.
   * @default none
   */
  environmentScript?: string;
  /**
   * Shell commands run as root at boot, after the app folder is unpacked in `/opt/<name>` and
   * before the environment script runs (for example, downloading a CA bundle).
   * @default none
   */
  setupCommands?: string[];
  /**
   * Plain, non-secret environment variables, written into the systemd unit.
   * @default none (PORT and HOST are always set)
   */
  environment?: Record<string, string>;
  /**
   * The port the server listens on; only the load balancer may connect to it.
   * @default 3000
   */
  port?: number;
  /**
   * The readiness endpoint: the load balancer sends traffic only to instances that answer it with
   * 200, and a new instance must answer it before it counts as booted.
   * @default '/readyz'
   */
  healthCheckPath?: string;
  /**
   * @default t4g.micro — Graviton (ARM64), about $0.0084 an hour in us-east-1.
   */
  instanceType?: ec2.InstanceType;
  /** @default 1 */
  minCapacity?: number;
  /** @default 2 */
  maxCapacity?: number;
  /**
   * How long the app's logs are kept in CloudWatch.
   * @default one week
   */
  logRetention?: logs.RetentionDays;
  /**
   * A load balancer shared with other hosts. The host then creates no load balancer and no
   * listener, only its `targetGroup`, and leaves the routing to the caller (listener rules, e.g.
   * `RouteTableRules`); its instances still admit the load balancer only.
   * @default its own internal load balancer, HTTP on port 80, forwarding everything here
   */
  loadBalancer?: elbv2.ApplicationLoadBalancer;
}

/**
 * A Node app behind an Application Load Balancer (HTTP on port 80), on an EC2 Auto Scaling group
 * of Amazon Linux 2023 ARM64 instances. The load balancer is the host's own, or one shared with
 * other hosts (`loadBalancer`), whose listener rules pick the host's `targetGroup`. Its own is
 * internal, in the isolated subnets, and admits nobody: `LoadBalancerOrigin` lets CloudFront in.
 *
 * Defaults: t4g.micro, min 1 / desired 1 / max 2, in the VPC's public subnets with a public IP
 * (so no NAT gateway is needed to reach S3, Secrets Manager or CloudWatch), an 8 GiB encrypted
 * gp3 root volume, IMDSv2 required, no SSH key (connect with SSM Session Manager), a security
 * group that admits only the load balancer on `port`, and the app's stdout/stderr shipped by the
 * CloudWatch agent to `logGroup` (one stream per instance, kept one week). At boot, user data
 * downloads the app asset, turns the secrets into an environment file, starts the systemd unit,
 * waits until the app answers `/readyz`, and signals CloudFormation with `cfn-signal`.
 *
 * The load balancer's `/readyz` check only steers traffic; the Auto Scaling group replaces an
 * instance only when EC2 reports it broken (systemd restarts a crashed app). A deploy launches
 * the new instance first and retires the old one only once the new one has signalled that it is
 * ready; a boot that fails or times out (15 minutes) rolls the deploy back.
 */
export class NodeAppHost extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The instances' security group: give it to `PostgresDatabase.allowFrom`. */
  readonly securityGroup: ec2.SecurityGroup;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: NodeAppHostProps) {
    super(scope, id);
    const name = props.name ?? 'app';
    const port = props.port ?? 3000;
    const readinessPath = props.healthCheckPath ?? '/readyz';
    const secrets = props.secrets ?? {};
    if (Object.keys(secrets).length > 0 && props.environmentScript === undefined) {
      throw new Error(
        'NodeAppHost: `secrets` need an `environmentScript` that turns them into env',
      );
    }

    // DESTROY: a course lab must leave nothing behind (and nothing billed) after `cdk destroy`.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `${name} instances: SSM sessions, the app asset, its secrets and its logs`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    props.app.grantRead(this.role);
    for (const secret of Object.values(secrets)) secret.grantRead(this.role);
    this.logGroup.grantWrite(this.role);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${name} instances: the app port from the load balancer only`,
      allowAllOutbound: true,
    });

    const userData = buildUserData({
      name,
      port,
      app: props.app,
      secrets,
      logGroupName: this.logGroup.logGroupName,
      startScript: props.startScript ?? 'server.mjs',
      preStartScript: props.preStartScript,
      environmentScript: props.environmentScript,
      environment: props.environment ?? {},
      setupCommands: props.setupCommands ?? [],
      healthCheckPath: readinessPath,
    });
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.latestAmazonLinux2023({
        cpuType: ec2.AmazonLinuxCpuType.ARM_64,
      }),
      instanceType:
        props.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      role: this.role,
      securityGroup: this.securityGroup,
      associatePublicIpAddress: true,
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(8, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
          }),
        },
      ],
      userData,
    });

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      launchTemplate,
      // No desiredCapacity: it starts at minCapacity, and a deploy does not reset it.
      minCapacity: props.minCapacity ?? 1,
      maxCapacity: props.maxCapacity ?? 2,
      // EC2 checks only, not the load balancer's: /readyz fails whenever the database does, so
      // with ELB checks a database outage of half a minute would make the group terminate every
      // instance and boot new ones into migrations that cannot run either. Readiness steers
      // traffic; replacing a process that crashed is systemd's job (`Restart=always`).
      healthChecks: autoscaling.HealthChecks.ec2(),
      // CloudFormation waits for each new instance's cfn-signal (sent once /readyz answers, see
      // buildUserData) before it counts the instance as in service, on creation and on every
      // rolling update, so the old instance keeps serving until its successor is ready.
      signals: autoscaling.Signals.waitForMinCapacity({ timeout: BOOT_TIMEOUT }),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({ minInstancesInService: 1 }),
    });
    // An exit trap: `cfn-signal -e <the boot script's exit status>` for this group.
    userData.addSignalOnExitCommand(this.autoScalingGroup);

    const targets = {
      port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.autoScalingGroup],
      healthCheck: {
        path: readinessPath,
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        healthyThresholdCount: 2,
      },
      // A stopping instance finishes its requests quickly; the default 300 s slows every deploy.
      deregistrationDelay: Duration.seconds(15),
    };
    if (props.loadBalancer === undefined) {
      this.loadBalancer = this.ownLoadBalancer(props.vpc);
      // Not `open`: the listener adds no rule for the whole internet to the load balancer's
      // security group; whoever may connect is admitted by name (LoadBalancerOrigin).
      const listener = this.loadBalancer.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
      });
      // addTargets also opens the instances' security group to the load balancer on `port`.
      this.targetGroup = listener.addTargets('App', targets);
      suppressLoadBalancerFindings(this.loadBalancer);
    } else {
      this.loadBalancer = props.loadBalancer;
      this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'Targets', {
        vpc: props.vpc,
        ...targets,
      });
      this.securityGroup.connections.allowFrom(
        this.loadBalancer,
        ec2.Port.tcp(port),
        'The app port from the load balancer',
      );
    }
    this.suppressDeliberateFindings();
  }

  /**
   * An internal load balancer for this host alone, in the isolated subnets: it has no public
   * address, and CloudFront reaches it as a VPC origin. The instances stay in the public
   * subnets, where they reach S3, Secrets Manager and CloudWatch without a NAT gateway.
   */
  private ownLoadBalancer(vpc: ec2.IVpc): elbv2.ApplicationLoadBalancer {
    return new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      internetFacing: false,
    });
  }

  /** The cdk-nag findings this host accepts on purpose, each with its reason. */
  private suppressDeliberateFindings(): void {
    NagSuppressions.addResourceSuppressions(
      this.role,
      [
        {
          id: 'AwsSolutions-IAM4',
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore'],
          reason:
            'AWS maintains the minimal permissions SSM Session Manager needs; it replaces SSH, ' +
            'so no port 22 and no key pair exist.',
        },
        {
          id: 'AwsSolutions-IAM5',
          appliesTo: [
            'Action::s3:GetObject*',
            'Action::s3:GetBucket*',
            'Action::s3:List*',
            {
              regex: '/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):s3:::cdk-.*-assets-.*\\/\\*$/g',
            },
          ],
          reason:
            'Read-only access to the CDK asset bucket, generated by `asset.grantRead`, so the ' +
            'instances can download the app bundle at boot.',
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(this.autoScalingGroup, [
      {
        id: 'AwsSolutions-AS3',
        reason:
          'Scaling notifications need an SNS topic and a subscriber; in a lab the Auto Scaling ' +
          'activity history in the console shows the same events.',
      },
    ]);
  }
}

/**
 * The cdk-nag finding of the course's load balancers (a host's own, or one shared by several
 * hosts or services), accepted on purpose, with its reason.
 */
export function suppressLoadBalancerFindings(loadBalancer: elbv2.ApplicationLoadBalancer): void {
  NagSuppressions.addResourceSuppressions(loadBalancer, [
    {
      id: 'AwsSolutions-ELB2',
      reason:
        'Access logs need an S3 bucket with a policy for the regional ELB account; the apps ' +
        'already log every request to CloudWatch.',
    },
  ]);
}

interface UserDataInput {
  name: string;
  port: number;
  app: s3assets.Asset;
  secrets: Record<string, secretsmanager.ISecret>;
  logGroupName: string;
  startScript: string;
  preStartScript: string | undefined;
  environmentScript: string | undefined;
  environment: Record<string, string>;
  setupCommands: string[];
  healthCheckPath: string;
}

/**
 * The boot script. It holds ARNs and names only: secret values are fetched at boot with the
 * instance role, so they never appear in the template, the launch template or the console.
 * `set -e` makes any failing step end it early; the constructor adds an exit trap that reports
 * the script's exit status to CloudFormation (`cfn-signal -e`), so a failed boot fails the deploy.
 */
function buildUserData(input: UserDataInput): ec2.UserData {
  const { name } = input;
  const appDir = `/opt/${name}`;
  const etcDir = `/etc/${name}`;
  const logFile = `/var/log/${name}/app.log`;
  const node = `${appDir}/node/bin/node`;
  const userData = ec2.UserData.forLinux();
  userData.addCommands(
    'set -euo pipefail',
    // aws-cfn-bootstrap provides /opt/aws/bin/cfn-signal for the exit trap.
    'dnf install -y unzip amazon-cloudwatch-agent aws-cfn-bootstrap',
    `id ${name} >/dev/null 2>&1 || useradd --system --home-dir ${appDir} --shell /sbin/nologin ${name}`,
  );
  const zip = userData.addS3DownloadCommand({
    bucket: input.app.bucket,
    bucketKey: input.app.s3ObjectKey,
    localFile: `/tmp/${name}.zip`,
  });
  userData.addCommands(
    `rm -rf ${appDir} && mkdir -p ${appDir} ${etcDir} /var/log/${name}`,
    `unzip -q ${zip} -d ${appDir} && rm -f ${zip}`,
    `chmod +x ${node}`,
    `chown -R root:root ${appDir} && chown ${name}:${name} /var/log/${name}`,
    ...input.setupCommands,
    ...environmentFileCommands(input, node, appDir, etcDir),
    ...cloudWatchAgentCommands(input.logGroupName, logFile),
    `cat > /etc/systemd/system/${name}.service <<'UNIT'`,
    systemdUnit(input, node, appDir, etcDir, logFile),
    'UNIT',
    'systemctl daemon-reload',
    `systemctl enable --now ${name}.service`,
    readinessWait(input.port, input.healthCheckPath),
  );
  return userData;
}

/**
 * Blocks until the app answers its readiness check on this instance, or fails after
 * READINESS_WAIT_SECONDS (exit 124 from `timeout`), which ends the script with that status.
 */
function readinessWait(port: number, path: string): string {
  const probe = `curl -fsS --max-time 5 -o /dev/null http://127.0.0.1:${port}${path}`;
  return `timeout ${READINESS_WAIT_SECONDS} bash -c 'until ${probe}; do sleep 5; done'`;
}

/** Secrets → files in a private tmpfs folder → the app's script → app.env → files deleted. */
function environmentFileCommands(
  input: UserDataInput,
  node: string,
  appDir: string,
  etcDir: string,
): string[] {
  const { name, environmentScript } = input;
  const envFile = `${etcDir}/app.env`;
  if (environmentScript === undefined) return [`: > ${envFile}`];
  const secretsDir = `/run/${name}-secrets`;
  return [
    `install -d -m 700 -o ${name} -g ${name} ${secretsDir}`,
    ...Object.entries(input.secrets).map(
      ([key, secret]) =>
        `aws secretsmanager get-secret-value --region ${Aws.REGION} --secret-id ${secret.secretArn} ` +
        `--query SecretString --output text | install -m 400 -o ${name} -g ${name} /dev/stdin ${secretsDir}/${key}.json`,
    ),
    `runuser -u ${name} -- ${node} ${appDir}/${environmentScript} ${secretsDir} ` +
      `| install -m 400 -o ${name} -g ${name} /dev/stdin ${envFile}`,
    `rm -rf ${secretsDir}`,
  ];
}

function cloudWatchAgentCommands(logGroupName: string, logFile: string): string[] {
  const config = {
    logs: {
      logs_collected: {
        files: {
          collect_list: [
            { file_path: logFile, log_group_name: logGroupName, log_stream_name: '{instance_id}' },
          ],
        },
      },
    },
  };
  const configFile = '/opt/aws/amazon-cloudwatch-agent/etc/app-logs.json';
  return [
    `cat > ${configFile} <<'JSON'`,
    JSON.stringify(config, null, 2),
    'JSON',
    `/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${configFile}`,
  ];
}

function systemdUnit(
  input: UserDataInput,
  node: string,
  appDir: string,
  etcDir: string,
  logFile: string,
): string {
  const environment = { ...input.environment, PORT: String(input.port), HOST: '0.0.0.0' };
  return [
    '[Unit]',
    `Description=${input.name} (Node.js)`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    `User=${input.name}`,
    `WorkingDirectory=${appDir}`,
    ...Object.entries(environment).map(([key, value]) => `Environment="${key}=${value}"`),
    `EnvironmentFile=${etcDir}/app.env`,
    ...(input.preStartScript === undefined
      ? []
      : [`ExecStartPre=${node} ${appDir}/${input.preStartScript}`]),
    `ExecStart=${node} ${appDir}/${input.startScript}`,
    'Restart=always',
    'RestartSec=5',
    `StandardOutput=append:${logFile}`,
    'StandardError=inherit',
    // The app only needs to read its folder and talk to the network.
    'NoNewPrivileges=true',
    'ProtectSystem=full',
    'ProtectHome=true',
    'PrivateTmp=true',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ].join('\n');
}
