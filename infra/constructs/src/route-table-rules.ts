import { type Route, type RouteTable, rulePriorities } from '@course/facade/route-table';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct, DependencyGroup, type IDependable } from 'constructs';

export interface RouteTableRulesProps<Target extends string> {
  /** The listener that gets the rules and its default action; create it without a default. */
  listener: elbv2.ApplicationListener;
  /** The stage's route table (e.g. its routes.ts): routes in priority order. */
  table: RouteTable<Target>;
  /** The target group of each target the table names. */
  targetGroups: Record<Target, elbv2.IApplicationTargetGroup>;
  /**
   * Per target, what must be complete before a rule (or the listener, for its default action)
   * that forwards to it is created or changed, e.g. its host's Auto Scaling group, which CloudFormation counts as
   * complete only once its instances have signalled that they are ready. A share change then
   * never sends players to a host that is still booting.
   * @default none: rules are created as soon as their target groups exist
   */
  readyWhen?: Partial<Record<Target, IDependable>>;
  /**
   * Where the paths that no route matches go, for a table without a catch-all route: a target
   * whose service answers them, e.g. with its health checks and a 404 problem that carries an
   * X-Request-Id, which the load balancer's own answer cannot.
   * @default a 404 problem answered by the load balancer itself
   */
  defaultTarget?: Target;
}

/** The one route that matches every path; it becomes the listener's default action. */
const CATCH_ALL = '/*';

/**
 * The listener rules of an Application Load Balancer, generated from a route table, the same
 * table the local facade routes with (`@course/facade/route-table`).
 *
 * Defaults and rules of the translation:
 * - priority: the route's `priority`, else one more than the route before it (so 1, 2, … when
 *   no route sets one): the first matching route wins, as in the facade; condition: the route's
 *   path patterns.
 * - a route whose paths are exactly `['/*']` is the listener's default action instead of a rule
 *   (it must be the last route); without one, the default action forwards to `defaultTarget`,
 *   or answers a 404 problem.
 * - a route with a canary: a weighted forward, `target` weighted 100 − share and the canary
 *   share. Both groups stay in the action even at weight 0, so moving the share is a weight
 *   change, not a new rule.
 * - a route with no canary: a plain forward to its target.
 * - `frozen: true`: a fixed 503 problem (the write freeze), reaching no target at all.
 * - a canary share strictly between 0 and 100 on a route pinned per player (`stickiness`
 *   'player', the default) throws: an ALB cannot pin a player. Routes with stickiness 'request'
 *   may use any weight.
 */
export class RouteTableRules<Target extends string> extends Construct {
  /** The listener rules by route name (the catch-all route is the default action, not a rule). */
  readonly rules: Record<string, elbv2.ApplicationListenerRule> = {};
  private readonly forwarders = new Map<Target, DependencyGroup>();

  constructor(scope: Construct, id: string, props: RouteTableRulesProps<Target>) {
    super(scope, id);
    const { listener, table } = props;
    const catchAll = catchAllRoute(table, props.defaultTarget) ?? defaultRoute(props.defaultTarget);
    const priorities = rulePriorities(table);

    table.routes.forEach((route, index) => {
      const priority = priorities[index];
      if (route === catchAll || priority === undefined) return;
      const rule = new elbv2.ApplicationListenerRule(this, route.name, {
        listener,
        priority,
        conditions: [elbv2.ListenerCondition.pathPatterns([...route.paths])],
        action: listenerAction(route, props.targetGroups),
      });
      waitForTargets(rule, route, props.readyWhen);
      this.recordForwarder(rule, route);
      this.rules[route.name] = rule;
    });

    if (catchAll === undefined) {
      listener.addAction('NoRoute', { action: problemResponse(404, 'Not Found', NO_ROUTE) });
    } else {
      listener.addAction(catchAll.name, {
        action: listenerAction(catchAll, props.targetGroups),
      });
      waitForTargets(listener, catchAll, props.readyWhen);
      this.recordForwarder(listener, catchAll);
    }
  }

  /**
   * What forwards requests to `target`: its rules, or the listener when its default action does.
   * They are what ties the target's group to the load balancer, and ECS refuses to create a
   * service whose target group no load balancer uses yet: make such a service depend on this.
   * Empty when no route forwards to `target` (e.g. all of its routes are frozen).
   */
  routesTo(target: Target): IDependable {
    return this.forwarders.get(target) ?? new DependencyGroup();
  }

  private recordForwarder(forwarder: IDependable, route: Route<Target>): void {
    for (const target of forwardTargets(route)) {
      const group = this.forwarders.get(target) ?? new DependencyGroup();
      group.add(forwarder);
      this.forwarders.set(target, group);
    }
  }
}

const NO_ROUTE = 'No route of the route table matches this path.';

/** `defaultTarget` as the route of every path, the default action's. */
function defaultRoute<Target extends string>(
  target: Target | undefined,
): Route<Target> | undefined {
  return target === undefined ? undefined : { name: 'unrouted', paths: [CATCH_ALL], target };
}

/** The `['/*']` route, if any; it must come last, as it would shadow every route after it. */
function catchAllRoute<Target extends string>(
  table: RouteTable<Target>,
  defaultTarget: Target | undefined,
): Route<Target> | undefined {
  const index = table.routes.findIndex(
    (route) => route.paths.length === 1 && route.paths[0] === CATCH_ALL,
  );
  if (index === -1) return undefined;
  if (defaultTarget !== undefined) {
    throw new Error(
      `RouteTableRules: route "${table.routes[index]?.name}" already matches every path ('/*'); ` +
        'give it or defaultTarget, not both.',
    );
  }
  if (index !== table.routes.length - 1) {
    throw new Error(
      `RouteTableRules: route "${table.routes[index]?.name}" matches every path ('/*'), so it ` +
        'must be the last route: it becomes the listener default action, which comes last.',
    );
  }
  return table.routes[index];
}

function listenerAction<Target extends string>(
  route: Route<Target>,
  targetGroups: Record<Target, elbv2.IApplicationTargetGroup>,
): elbv2.ListenerAction {
  const { canary } = route;
  // Checked even while frozen: the freeze is lifted by the next deploy, which would fail then.
  if (canary !== undefined) refuseSplitPlayers(route, canary.share);
  if (route.frozen === true) {
    return problemResponse(503, 'Service Unavailable', frozenDetail(route));
  }
  if (canary === undefined) return elbv2.ListenerAction.forward([targetGroups[route.target]]);
  return elbv2.ListenerAction.weightedForward([
    { targetGroup: targetGroups[route.target], weight: 100 - canary.share },
    { targetGroup: targetGroups[canary.target], weight: canary.share },
  ]);
}

/**
 * An ALB's stickiness is a cookie in one browser: the same player on a phone and a laptop, or
 * after clearing cookies, would meet both implementations, and with them two wallets. The
 * local facade can pin a player (it reads the token); on AWS the share moves all at once.
 */
function refuseSplitPlayers(route: Route, share: number): void {
  if ((route.stickiness ?? 'player') !== 'player' || share === 0 || share === 100) return;
  throw new Error(
    `Route "${route.name}": a canary share of ${share} % cannot be deployed with stickiness ` +
      "'player'. An ALB pins a browser (with a cookie), not a player, and each player's wallet " +
      'has exactly one owner, the implementation the player is pinned to. On AWS, move the ' +
      'share from 0 to 100 (or back) in one step, with the wallet handoff (see the lab); shares ' +
      "in between are for the local facade. Routes with stickiness 'request' may use any weight.",
  );
}

function frozenDetail(route: Route): string {
  return (
    `The ${route.name} routes are paused while their data moves to another service; ` +
    'retry in a minute.'
  );
}

/**
 * A fixed RFC 9457 problem, shaped like `problems.*` of @course/service-kit (and the contract's
 * 503/404 problems: type about:blank, the standard reason phrase as title). An ALB only answers
 * text/plain, text/css, text/html, application/javascript or application/json, and cannot add
 * headers (Retry-After, X-Request-Id): the body is the problem, the type application/json.
 */
function problemResponse(status: number, title: string, detail: string): elbv2.ListenerAction {
  return elbv2.ListenerAction.fixedResponse(status, {
    contentType: 'application/json',
    messageBody: JSON.stringify({ type: 'about:blank', title, status, detail }),
  });
}

/** Makes `resource` wait until every target the route forwards to is ready. */
function waitForTargets<Target extends string>(
  resource: Construct,
  route: Route<Target>,
  readyWhen: Partial<Record<Target, IDependable>> = {},
): void {
  for (const target of forwardTargets(route)) {
    const ready = readyWhen[target];
    if (ready !== undefined) resource.node.addDependency(ready);
  }
}

/** The targets a route's action can send a request to: none while it is frozen. */
function forwardTargets<Target extends string>(route: Route<Target>): Target[] {
  if (route.frozen === true) return [];
  return route.canary === undefined ? [route.target] : [route.target, route.canary.target];
}
