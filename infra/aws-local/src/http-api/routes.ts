/*
 * Route selection, as API Gateway documents it for HTTP APIs ("Create routes for HTTP APIs",
 * section "Routing API requests"): the most specific match wins —
 *   1. a full match of path and method (static segments before `{variables}`),
 *   2. a match with a greedy path variable (`{proxy+}`, a longer static prefix first),
 *   3. the `$default` route.
 * `ANY` matches every method that has no route of its own on the same path, so within a tier a
 * route naming the method beats `ANY`. Two cases the documentation leaves open are decided here
 * and listed in the README: segments compare left to right (a static segment beats a variable at
 * the first place they differ), and a greedy variable needs at least one character to catch
 * (`/pets/{proxy+}` does not match `/pets` or `/pets/`).
 */
import { type HttpApiRoute, LocalAwsError } from '../model.ts';

type Segment =
  | { kind: 'static'; value: string }
  | { kind: 'variable'; name: string }
  | { kind: 'greedy'; name: string };

export interface CompiledRoute {
  route: HttpApiRoute;
  /** Upper-case method, or 'ANY'; undefined for `$default`. */
  method?: string;
  segments: Segment[];
}

export interface RouteMatch {
  route: HttpApiRoute;
  /** Decoded values by variable name; empty when the route has none. */
  pathParameters: Record<string, string>;
}

// The methods an HTTP API route key may name (CloudFormation RouteKey).
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY']);
const VARIABLE = /^\{([A-Za-z0-9._-]+)(\+?)\}$/;

/** Parses every route key once at start; a key API Gateway would refuse fails the start. */
export function compileRoutes(routes: HttpApiRoute[]): CompiledRoute[] {
  return routes.map((route) => {
    if (route.routeKey === '$default') return { route, segments: [] };
    const fail = (why: string) =>
      new LocalAwsError(`route key "${route.routeKey}" ${why}`, route.logicalId, 'RouteKey');
    const [method, path, ...rest] = route.routeKey.split(' ');
    if (!method || !path || rest.length > 0 || !METHODS.has(method)) {
      throw fail('is not "<METHOD> /<path>" or "$default"');
    }
    if (!path.startsWith('/')) throw fail('has a path that does not start with "/"');
    const parts = path === '/' ? [] : path.slice(1).split('/');
    const segments = parts.map((part, index): Segment => {
      const variable = VARIABLE.exec(part);
      if (!variable) {
        if (part === '' || part.includes('{') || part.includes('}')) {
          throw fail(`has an invalid path segment "${part}"`);
        }
        return { kind: 'static', value: part };
      }
      const [, name = '', greedy] = variable;
      if (!greedy) return { kind: 'variable', name };
      if (index !== parts.length - 1) throw fail('has a greedy path variable before its end');
      return { kind: 'greedy', name };
    });
    return { route, method, segments };
  });
}

/** The route API Gateway would choose for a method and a decoded, stage-less path; undefined: 404. */
export function matchRoute(
  routes: CompiledRoute[],
  method: string,
  path: string,
): RouteMatch | undefined {
  const requestSegments = path === '/' ? [] : path.slice(1).split('/');
  let best: { compiled: CompiledRoute; match: RouteMatch } | undefined;
  for (const compiled of routes) {
    if (compiled.method === undefined) continue;
    if (compiled.method !== 'ANY' && compiled.method !== method) continue;
    const pathParameters = matchSegments(compiled.segments, requestSegments);
    if (!pathParameters) continue;
    if (!best || compareSpecificity(compiled, best.compiled) < 0) {
      best = { compiled, match: { route: compiled.route, pathParameters } };
    }
  }
  if (best) return best.match;
  const fallback = routes.find((compiled) => compiled.method === undefined);
  return fallback && { route: fallback.route, pathParameters: {} };
}

function matchSegments(segments: Segment[], request: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    if (segment.kind === 'greedy') {
      const rest = request.slice(index).join('/');
      if (rest === '') return undefined;
      parameters[segment.name] = rest;
      return parameters;
    }
    const value = request[index];
    if (value === undefined || value === '') return undefined;
    if (segment.kind === 'static' && segment.value !== value) return undefined;
    if (segment.kind === 'variable') parameters[segment.name] = value;
  }
  return segments.length === request.length ? parameters : undefined;
}

const RANK = { static: 0, variable: 1, greedy: 2 } as const;

/** Negative when `a` is more specific than `b`. */
function compareSpecificity(a: CompiledRoute, b: CompiledRoute): number {
  const tier = (r: CompiledRoute) => (r.segments.at(-1)?.kind === 'greedy' ? 1 : 0);
  if (tier(a) !== tier(b)) return tier(a) - tier(b);
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const left = a.segments[i];
    const right = b.segments[i];
    if (!left || !right) break;
    if (RANK[left.kind] !== RANK[right.kind]) return RANK[left.kind] - RANK[right.kind];
  }
  return (a.method === 'ANY' ? 1 : 0) - (b.method === 'ANY' ? 1 : 0);
}
