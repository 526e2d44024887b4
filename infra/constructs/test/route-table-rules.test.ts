import { defineRouteTable, type RouteTable, withCanaryShare } from '@course/facade/route-table';
import { App, type CfnElement, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { describe, expect, it } from 'vitest';
import { CourseVpc, RouteTableRules } from '../src/index.ts';

type Target = 'old' | 'new';

// A table shaped like a strangler's: a route with a canary, a plain one, and a catch-all.
const wallet = {
  name: 'wallet',
  paths: ['/api/wallet', '/api/wallet/*'],
  target: 'old',
  canary: { target: 'new', share: 100 },
} as const;
const table = defineRouteTable<Target>({
  targets: ['old', 'new'],
  routes: [
    wallet,
    { name: 'search', paths: ['/api/search'], target: 'new' },
    { name: 'rest', paths: ['/*'], target: 'old' },
  ],
});

interface Synthesized {
  template: Template;
  /** Logical ids, to read references in the template. */
  ids: {
    old: string;
    new: string;
    oldReady: string;
    newReady: string;
    service: string;
    listener: string;
  };
}

/**
 * The rules of `routes`; with `serviceOf`, a stand-in for that target's ECS service, which must
 * not be created before something forwards to its target group.
 */
function synthRules(
  routes: RouteTable<Target>,
  serviceOf?: Target,
  defaultTarget?: Target,
): Synthesized {
  const stack = new Stack(new App(), 'Test');
  const { vpc } = new CourseVpc(stack, 'Network');
  const loadBalancer = new elbv2.ApplicationLoadBalancer(stack, 'LoadBalancer', { vpc });
  const listener = loadBalancer.addListener('Http', { port: 80, open: true });
  const group = (id: string) =>
    new elbv2.ApplicationTargetGroup(stack, id, {
      protocol: elbv2.ApplicationProtocol.HTTP,
      vpc,
      port: 3000,
      targetType: elbv2.TargetType.IP,
    });
  const targetGroups = { old: group('OldTargets'), new: group('NewTargets') };
  // Stand-ins for each host's Auto Scaling group, complete once its instances are ready.
  const oldReady = new CfnWaitConditionHandle(stack, 'OldReady');
  const newReady = new CfnWaitConditionHandle(stack, 'NewReady');

  const rules = new RouteTableRules(stack, 'Routes', {
    listener,
    table: routes,
    targetGroups,
    readyWhen: { old: oldReady, new: newReady },
    defaultTarget,
  });
  const service = new CfnWaitConditionHandle(stack, 'Service');
  if (serviceOf !== undefined) service.node.addDependency(rules.routesTo(serviceOf));

  const id = (element: CfnElement) => stack.getLogicalId(element);
  const resourceId = (construct: elbv2.ApplicationTargetGroup) =>
    id(construct.node.defaultChild as CfnElement);
  return {
    template: Template.fromStack(stack),
    ids: {
      old: resourceId(targetGroups.old),
      new: resourceId(targetGroups.new),
      oldReady: id(oldReady),
      newReady: id(newReady),
      service: id(service),
      listener: id(listener.node.defaultChild as CfnElement),
    },
  };
}

interface RuleResource {
  DependsOn?: string[];
  Properties: {
    Priority: number;
    Conditions: Array<{ Field: string; PathPatternConfig: { Values: string[] } }>;
    Actions: Array<Record<string, unknown>>;
  };
}

/** The listener rules in priority order. */
function rulesOf(template: Template): RuleResource[] {
  return (
    Object.values(
      template.findResources('AWS::ElasticLoadBalancingV2::ListenerRule'),
    ) as RuleResource[]
  ).sort((a, b) => a.Properties.Priority - b.Properties.Priority);
}

function listenerOf(template: Template) {
  const [listener] = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::Listener'));
  return listener as { DependsOn?: string[]; Properties: { DefaultActions: unknown[] } };
}

/** A forward action's target groups and their weights, by logical id. */
function weightsOf(action: Record<string, unknown> | undefined): Record<string, number> {
  const config = action?.ForwardConfig as {
    TargetGroups: Array<{ TargetGroupArn: { Ref: string }; Weight: number }>;
  };
  return Object.fromEntries(config.TargetGroups.map((g) => [g.TargetGroupArn.Ref, g.Weight]));
}

describe('RouteTableRules', () => {
  it('turns each route into a rule, its place in the table as priority, its paths as condition', () => {
    const { template } = synthRules(table);

    const rules = rulesOf(template);

    const expected = table.routes.filter((route) => route.paths[0] !== '/*');
    expect(rules.map((rule) => rule.Properties.Priority)).toEqual(expected.map((_, i) => i + 1));
    expect(rules.map((rule) => rule.Properties.Conditions)).toEqual(
      expected.map((route) => [
        { Field: 'path-pattern', PathPatternConfig: { Values: [...route.paths] } },
      ]),
    );
  });

  it("makes the route of every path ('/*') the listener's default action, not a rule", () => {
    const { template, ids } = synthRules(table);

    expect(listenerOf(template).Properties.DefaultActions).toEqual([
      { Type: 'forward', TargetGroupArn: { Ref: ids.old } },
    ]);
    expect(rulesOf(template)).toHaveLength(table.routes.length - 1);
  });

  it('forwards a canary route to both groups, weighted 100 − share and share', () => {
    const { template, ids } = synthRules(table);

    const [walletRule, search] = rulesOf(template);

    expect(weightsOf(walletRule?.Properties.Actions[0])).toEqual({ [ids.old]: 0, [ids.new]: 100 });
    expect(search?.Properties.Actions).toEqual([
      { Type: 'forward', TargetGroupArn: { Ref: ids.new } },
    ]);
  });

  it('keeps the group at weight 0 in the action, so that moving the share is a weight change', () => {
    const { template, ids } = synthRules(withCanaryShare(table, 'new', 0));

    const [walletRule] = rulesOf(template);

    expect(weightsOf(walletRule?.Properties.Actions[0])).toEqual({ [ids.old]: 100, [ids.new]: 0 });
  });

  it('answers a frozen route with a fixed 503 problem and sends it to no target', () => {
    const frozen = defineRouteTable({
      ...table,
      routes: table.routes.map((r) => (r.name === 'wallet' ? { ...r, frozen: true } : r)),
    });
    const { template } = synthRules(frozen);

    const [walletRule] = rulesOf(template);
    const response = walletRule?.Properties.Actions[0]?.FixedResponseConfig as {
      StatusCode: string;
      ContentType: string;
      MessageBody: string;
    };

    expect(walletRule?.Properties.Actions).toHaveLength(1);
    expect(response.StatusCode).toBe('503');
    // The closest an ALB allows: it refuses application/problem+json as a fixed content type.
    expect(response.ContentType).toBe('application/json');
    expect(JSON.parse(response.MessageBody)).toEqual({
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: expect.stringMatching(/retry/),
    });
    expect(walletRule?.DependsOn).toBeUndefined();
  });

  it('refuses a share between 0 and 100 on a route that pins players, and says why', () => {
    const split = withCanaryShare(table, 'new', 50);

    expect(() => synthRules(split)).toThrow(/"wallet".*50 %/s);
    expect(() => synthRules(split)).toThrow(/pins a browser.*not a player/s);
    expect(() => synthRules(split)).toThrow(/one owner/);
    expect(() => synthRules(split)).toThrow(/from 0 to 100.*handoff/s);
  });

  it('refuses it on a frozen route too, rather than on the deploy that lifts the freeze', () => {
    const frozenSplit = defineRouteTable<Target>({
      ...table,
      routes: [
        { ...wallet, frozen: true, canary: { target: 'new', share: 50 } },
        ...table.routes.slice(1),
      ],
    });

    expect(() => synthRules(frozenSplit)).toThrow(/pins a browser/);
  });

  it('weighs a route that draws per request with any share', () => {
    const perRequest = defineRouteTable<Target>({
      ...table,
      routes: [
        { ...wallet, stickiness: 'request', canary: { target: 'new', share: 25 } },
        ...table.routes.slice(1),
      ],
    });
    const { template, ids } = synthRules(perRequest);

    const [walletRule] = rulesOf(template);

    expect(weightsOf(walletRule?.Properties.Actions[0])).toEqual({ [ids.old]: 75, [ids.new]: 25 });
    expect(JSON.stringify(walletRule?.Properties.Actions)).not.toContain('Stickiness');
  });

  it('makes each rule wait until every target it can send traffic to is ready', () => {
    const { template, ids } = synthRules(withCanaryShare(table, 'new', 0));

    const [walletRule, search] = rulesOf(template);

    expect(walletRule?.DependsOn?.sort()).toEqual([ids.newReady, ids.oldReady].sort());
    expect(search?.DependsOn).toEqual([ids.newReady]);
    expect(listenerOf(template).DependsOn).toEqual([ids.oldReady]);
  });

  it('answers a 404 problem by default when no route matches every path', () => {
    const noCatchAll = defineRouteTable({ ...table, routes: table.routes.slice(0, 2) });
    const { template } = synthRules(noCatchAll);

    const [action] = listenerOf(template).Properties.DefaultActions as Array<{
      FixedResponseConfig: { StatusCode: string; MessageBody: string };
    }>;

    expect(action?.FixedResponseConfig.StatusCode).toBe('404');
    expect(JSON.parse(action?.FixedResponseConfig.MessageBody ?? '')).toMatchObject({
      type: 'about:blank',
      status: 404,
    });
  });

  it('forwards what no route matches to defaultTarget, and names the listener as what forwards to it', () => {
    const noCatchAll = defineRouteTable({ ...table, routes: table.routes.slice(0, 2) });
    const { template, ids } = synthRules(noCatchAll, 'new', 'new');

    expect(listenerOf(template).Properties.DefaultActions).toEqual([
      { Type: 'forward', TargetGroupArn: { Ref: ids.new } },
    ]);
    expect(rulesOf(template)).toHaveLength(2);
    expect(
      template.findResources('AWS::CloudFormation::WaitConditionHandle')[ids.service]?.DependsOn,
    ).toContain(ids.listener);
  });

  it('refuses a defaultTarget for a table that has a route of every path', () => {
    expect(() => synthRules(table, undefined, 'new')).toThrow(/not both/);
  });

  it("takes a route's own priority, and counts on from it for the routes without one", () => {
    const spaced = defineRouteTable<Target>({
      ...table,
      routes: [
        { ...wallet, priority: 10 },
        { name: 'search', paths: ['/api/search'], target: 'new' },
        { name: 'stats', paths: ['/api/stats'], target: 'new', priority: 30 },
        { name: 'rest', paths: ['/*'], target: 'old' },
      ],
    });

    const rules = rulesOf(synthRules(spaced).template);

    expect(rules.map((rule) => rule.Properties.Priority)).toEqual([10, 11, 30]);
    expect(rules.map((rule) => rule.Properties.Conditions[0]?.PathPatternConfig.Values)).toEqual([
      [...wallet.paths],
      ['/api/search'],
      ['/api/stats'],
    ]);
  });

  it('names what forwards to a target, so that its ECS service can be created after it', () => {
    const toNew = synthRules(table, 'new');
    const toOld = synthRules(table, 'old');
    const ruleIds = (template: Template) =>
      Object.keys(template.findResources('AWS::ElasticLoadBalancingV2::ListenerRule')).sort();
    const dependsOn = (synthesized: Synthesized) =>
      (synthesized.template.findResources('AWS::CloudFormation::WaitConditionHandle')[
        synthesized.ids.service
      ]?.DependsOn ?? []) as string[];

    // The wallet rule forwards to both (a canary), the search rule to new, the default to old.
    expect(dependsOn(toNew).sort()).toEqual(ruleIds(toNew.template));
    expect(dependsOn(toOld)).toContain(toOld.ids.listener);
    expect(dependsOn(toOld)).toHaveLength(2);
  });

  it('names nothing for a target that only frozen routes lead to', () => {
    const frozen = defineRouteTable<Target>({
      ...table,
      routes: [{ name: 'search', paths: ['/api/search'], target: 'new', frozen: true }],
    });

    const { template, ids } = synthRules(frozen, 'new');

    expect(
      template.findResources('AWS::CloudFormation::WaitConditionHandle')[ids.service]?.DependsOn,
    ).toBeUndefined();
  });

  it('refuses a route of every path that is not the last one', () => {
    const shadowing = defineRouteTable({ ...table, routes: [...table.routes].reverse() });

    expect(() => synthRules(shadowing)).toThrow(/"rest".*must be the last route/s);
  });
});
