import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { CourseVpc, PostgresDatabase } from '../src/index.ts';

function synthDatabase(opts: { allowApp?: boolean } = {}): Template {
  const stack = new Stack(new App(), 'Test');
  const { vpc } = new CourseVpc(stack, 'Network');
  const database = new PostgresDatabase(stack, 'Database', { vpc });
  if (opts.allowApp) {
    database.allowFrom(new ec2.SecurityGroup(stack, 'AppSecurityGroup', { vpc }));
  }
  return Template.fromStack(stack);
}

describe('PostgresDatabase', () => {
  it('defaults to PostgreSQL 17 on db.t4g.micro with 20 GiB of encrypted gp3, single-AZ', () => {
    const template = synthDatabase();

    template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: Match.stringLikeRegexp('^17'),
      DBInstanceClass: 'db.t4g.micro',
      AllocatedStorage: '20',
      StorageType: 'gp3',
      StorageEncrypted: true,
      MultiAZ: false,
      PubliclyAccessible: false,
      DeletionProtection: false,
    });
  });

  it('keeps its credentials in a generated Secrets Manager secret', () => {
    const template = synthDatabase();

    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'password' }),
    });
    const instance = Object.values(template.findResources('AWS::RDS::DBInstance'))[0];
    expect(JSON.stringify(instance?.Properties.MasterUserPassword)).toContain(
      'resolve:secretsmanager',
    );
  });

  it('lives in the isolated subnets', () => {
    const template = synthDatabase();

    const [subnetGroup] = Object.values(template.findResources('AWS::RDS::DBSubnetGroup'));
    const subnetIds = JSON.stringify(subnetGroup?.Properties.SubnetIds);
    expect(subnetIds).toContain('isolated');
    expect(subnetIds).not.toContain('public');
  });

  it('admits nobody until allowFrom, then 5432 from that security group only', () => {
    const closed = synthDatabase();
    const opened = synthDatabase({ allowApp: true });

    closed.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    opened.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
    opened.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      SourceSecurityGroupId: {
        'Fn::GetAtt': [Match.stringLikeRegexp('^AppSecurityGroup'), 'GroupId'],
      },
    });
  });

  it('is deleted with the stack, without a final snapshot', () => {
    const template = synthDatabase();

    template.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  });
});
