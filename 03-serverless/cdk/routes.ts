import stage02Routes from '@course/containers/routes';
import type { Route, RouteTable } from '@course/facade/route-table';
import { defineRouteTable } from '@course/facade/route-table';
import type { ContainerServiceName } from './serverless-stack.ts';

function isContainerRoute(route: Route<string>): route is Route<ContainerServiceName> {
  return route.target === 'users' || route.target === 'forum';
}

/**
 * The load balancer's routes: stage 02's table without the slots route, whose paths CloudFront
 * now sends to the HTTP API before they could reach the load balancer.
 */
export const containerRoutes: RouteTable<ContainerServiceName> = defineRouteTable({
  targets: ['users', 'forum'],
  routes: stage02Routes.routes.filter(isContainerRoute),
});
