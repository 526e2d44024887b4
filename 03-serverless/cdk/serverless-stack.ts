import { join } from 'node:path';
import { CourseVpc, PostgresDatabase } from '@course/constructs';
import { CfnOutput, type CfnResource, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { LOGICAL_IDS } from './logical-ids.ts';
import { slotsFunction } from './slots-function.ts';
import { SLOTS_ROUTES } from './slots-routes.ts';

const functionsDir = join(import.meta.dirname, '..', 'src', 'slots', 'functions');

export interface ServerlessStackProps extends StackProps {
  /**
   * The availability zones, by name: two or more in which CloudFront offers VPC origins.
   * @default the region's first two
   */
  availabilityZones?: readonly string[];
}

/** Stage 03 on AWS: the slots service as Lambda functions behind an API Gateway HTTP API. */
export class ServerlessStack extends Stack {
  constructor(scope: Construct, id: string, props: ServerlessStackProps = {}) {
    super(scope, id, props);

    const { vpc } = new CourseVpc(this, 'Network', { availabilityZones: props.availabilityZones });
    const database = new PostgresDatabase(this, 'Database', {
      vpc,
      databaseName: 'course_admin',
      username: 'course_admin',
    });
    pinLogicalId(database.instance, LOGICAL_IDS.database);

    const functionsSecurityGroup = new ec2.SecurityGroup(this, 'SlotsFunctionsSecurityGroup', {
      vpc,
      description: 'Slots functions',
      allowAllOutbound: false,
    });
    database.allowFrom(functionsSecurityGroup);
    const environment = {
      STAGE: '03',
      LOG_LEVEL: 'info',
      TOKEN_ISSUER: 'users',
      JWKS_URL: 'http://users.course.internal:3000/.well-known/jwks.json',
      DATABASE_HOST: database.instance.dbInstanceEndpointAddress,
      DATABASE_PORT: database.instance.dbInstanceEndpointPort,
      DATABASE_NAME: 'slots',
      DATABASE_USER: 'slots_lambda',
      NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
    };
    const common = {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroup: functionsSecurityGroup,
      environment,
    };
    const write = slotsFunction(this, 'SlotsWrite', {
      ...common,
      entry: join(functionsDir, 'write.ts'),
      description: 'Slots: POST /api/slots/spins',
    });
    const read = slotsFunction(this, 'SlotsRead', {
      ...common,
      entry: join(functionsDir, 'read.ts'),
      description: 'Slots: the reads, and a problem+json 404 for any other path',
    });
    const ranks = slotsFunction(this, 'SlotsRanks', {
      ...common,
      entry: join(functionsDir, 'ranks.ts'),
      description: 'Slots: leaderboard ranks for the forum (Invoke only)',
    });
    pinLogicalId(write, LOGICAL_IDS.writeFunction);
    pinLogicalId(read, LOGICAL_IDS.readFunction);
    pinLogicalId(ranks, LOGICAL_IDS.ranksFunction);

    const integrations = {
      write: new HttpLambdaIntegration('WriteIntegration', write),
      read: new HttpLambdaIntegration('ReadIntegration', read),
    };
    const api = new apigwv2.HttpApi(this, 'SlotsApi', {
      description: 'Stage 03: the slots API',
      defaultIntegration: integrations.read,
      createDefaultStage: false,
    });
    pinLogicalId(api, LOGICAL_IDS.slotsApi);
    const accessLogs = new logs.LogGroup(this, 'SlotsApiAccessLogs', {
      retention: logs.RetentionDays.ONE_WEEK,
      // DESTROY: a course lab must leave nothing behind (and nothing billed) after `cdk destroy`.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new apigwv2.HttpStage(this, 'SlotsApiStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: apigateway.AccessLogFormat.jsonWithStandardFields(),
      },
    });
    for (const route of SLOTS_ROUTES) {
      api.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration: integrations[route.fn],
      });
    }

    // After the routes: the suppression applies to the children that exist when it is added.
    NagSuppressions.addResourceSuppressions(
      api,
      [
        {
          id: 'AwsSolutions-APIG4',
          reason:
            "The functions verify the bearer token themselves against the users service's " +
            "public keys, as every service of the course does, and answer the contract's 401 " +
            'problem; an API Gateway authorizer would answer its own JSON instead, and the ' +
            'machine and leaderboard are public.',
        },
      ],
      true,
    );
    new CfnOutput(this, 'SlotsApiUrl', { value: api.apiEndpoint });
  }
}

/** Gives a construct's resource the logical id logical-ids.ts names. */
function pinLogicalId(construct: Construct, logicalId: string): void {
  (construct.node.defaultChild as CfnResource).overrideLogicalId(logicalId);
}
