import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { availabilityZonesOption, CourseVpc } from '../src/index.ts';

function synthVpc(): Template {
  const stack = new Stack(new App(), 'Test');
  new CourseVpc(stack, 'Network');
  return Template.fromStack(stack);
}

describe('CourseVpc', () => {
  it('spans 10.0.0.0/16 by default, and says so in plain text for security group rules', () => {
    const stack = new Stack(new App(), 'Test');
    const network = new CourseVpc(stack, 'Network');
    const other = new CourseVpc(stack, 'Other', { cidr: '10.1.0.0/16' });

    const template = Template.fromStack(stack);

    expect(network.cidr).toBe('10.0.0.0/16');
    expect(other.cidr).toBe('10.1.0.0/16');
    const blocks = Object.values(template.findResources('AWS::EC2::VPC')).map(
      (vpc) => vpc.Properties.CidrBlock,
    );
    expect(blocks.sort()).toEqual(['10.0.0.0/16', '10.1.0.0/16']);
  });

  it('creates no NAT gateway', () => {
    const template = synthVpc();

    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  it('has one public and one isolated subnet in each of two availability zones', () => {
    const template = synthVpc();

    const subnets = template.findResources('AWS::EC2::Subnet');
    const types = Object.values(subnets).map((subnet) => {
      const tags = subnet.Properties.Tags as Array<{ Key: string; Value: string }>;
      return tags.find((tag) => tag.Key === 'aws-cdk:subnet-type')?.Value;
    });
    expect(types.sort()).toEqual(['Isolated', 'Isolated', 'Public', 'Public']);
  });

  it('logs all traffic to a log group kept for one week', () => {
    const template = synthVpc();

    template.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
  });

  it('places its subnets in the zones it is given, by name', () => {
    const stack = new Stack(new App(), 'Test');
    new CourseVpc(stack, 'Network', { availabilityZones: ['us-east-1b', 'us-east-1d'] });

    const zones = Object.values(Template.fromStack(stack).findResources('AWS::EC2::Subnet')).map(
      (subnet) => subnet.Properties.AvailabilityZone,
    );

    expect(zones.sort()).toEqual(['us-east-1b', 'us-east-1b', 'us-east-1d', 'us-east-1d']);
  });

  it('refuses zone ids, and says how to find the names that go with them', () => {
    const stack = new Stack(new App(), 'Test');

    expect(
      () => new CourseVpc(stack, 'Network', { availabilityZones: ['use1-az1', 'use1-az2'] }),
    ).toThrow(/use1-az1, use1-az2 are zone ids.*describe-availability-zones/s);
  });

  it('refuses fewer than two different zones, and text that is not a zone name', () => {
    const stack = new Stack(new App(), 'Test');

    expect(() => new CourseVpc(stack, 'A', { availabilityZones: ['us-east-1a'] })).toThrow(
      /at least two/,
    );
    expect(
      () => new CourseVpc(stack, 'B', { availabilityZones: ['us-east-1a', 'us-east-1a'] }),
    ).toThrow(/at least two/);
    expect(() => new CourseVpc(stack, 'C', { availabilityZones: ['us-east-1a', 'east'] })).toThrow(
      /not an availability zone name: east/,
    );
  });
});

describe('availabilityZonesOption', () => {
  it('reads `-c availabilityZones=a,b` and a list from cdk.json alike, and nothing as unset', () => {
    expect(availabilityZonesOption('us-east-1a, us-east-1b')).toEqual(['us-east-1a', 'us-east-1b']);
    expect(availabilityZonesOption(['eu-west-1a', 'eu-west-1c'])).toEqual([
      'eu-west-1a',
      'eu-west-1c',
    ]);
    expect(availabilityZonesOption(undefined)).toBeUndefined();
    expect(availabilityZonesOption('')).toBeUndefined();
  });

  it('refuses a value that is neither text nor a list of text', () => {
    expect(() => availabilityZonesOption(2)).toThrow(/zone names separated by commas/);
    expect(() => availabilityZonesOption(['us-east-1a', 3])).toThrow(/zone names/);
  });
});
