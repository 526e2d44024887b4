import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { CourseVpc, PostgresDatabase } from '../src/index.ts';

function synthDatabase(
  opts: { allowApp?: boolean; allowTightApp?: boolean; users?: string[] } = {},
): Template {
  const stack = new Stack(new App(), 'Test');
  const { vpc } = new CourseVpc(stack, 'Network');
  const database = new PostgresDatabase(stack, 'Database', { vpc });
  if (opts.allowApp) {
    database.allowFrom(new ec2.SecurityGroup(stack, 'AppSecurityGroup', { vpc }));
  }
  if (opts.allowTightApp) {
    database.allowFrom(
      new ec2.SecurityGroup(stack, 'TightSecurityGroup', { vpc, allowAllOutbound: false }),
    );
  }
  for (const user of opts.users ?? []) database.addUser(user);
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

  it('opens the way out to 5432 for a peer that restricts its outbound traffic', () => {
    const template = synthDatabase({ allowTightApp: true });

    template.resourceCountIs('AWS::EC2::SecurityGroupEgress', 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TightSecurityGroup'), 'GroupId'] },
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      DestinationSecurityGroupId: {
        'Fn::GetAtt': [Match.stringLikeRegexp('^DatabaseSecurityGroup'), 'GroupId'],
      },
    });
  });

  it('gives each added user generated credentials of its own, for a database of its name', () => {
    const template = synthDatabase({ users: ['users', 'forum'] });

    const templates = Object.values(template.findResources('AWS::SecretsManager::Secret')).map(
      (secret) => JSON.parse(secret.Properties.GenerateSecretString.SecretStringTemplate),
    );
    expect(templates).toEqual(
      expect.arrayContaining([
        { username: 'users', dbname: 'users' },
        { username: 'forum', dbname: 'forum' },
      ]),
    );
    expect(templates).toHaveLength(3);
  });

  it("attaches each user's secret to the server, which adds its host and port", () => {
    const template = synthDatabase({ users: ['users', 'forum'] });

    const attachments = Object.values(
      template.findResources('AWS::SecretsManager::SecretTargetAttachment'),
    );
    expect(attachments).toHaveLength(3);
    for (const attachment of attachments) {
      expect(attachment.Properties).toMatchObject({
        TargetType: 'AWS::RDS::DBInstance',
        TargetId: { Ref: expect.stringMatching(/^DatabaseInstance/) },
      });
    }
    const secrets = new Set(attachments.map((attachment) => attachment.Properties.SecretId.Ref));
    expect(secrets.size).toBe(3);
  });

  it('is deleted with the stack, without a final snapshot', () => {
    const template = synthDatabase();

    template.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  });
});
