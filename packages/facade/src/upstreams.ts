import * as http from 'node:http';
import * as https from 'node:https';
import {
  type BreakerOptions,
  CircuitBreaker,
  type Logger,
  type Outcome,
} from '@course/service-kit';
import { facadeProblems } from './problems.ts';

/** One target of the route table as the facade talks to it. */
export interface Upstream {
  name: string;
  /** Its base URL, e.g. http://127.0.0.1:4001. */
  url: URL;
  /**
   * Its own keep-alive connection pool: no TCP handshake per request, and close() ends exactly
   * this target's sockets. Node drops a pooled socket shortly before the server's
   * `Keep-Alive: timeout` hint runs out, so a request rarely meets a socket the target closed.
   */
  agent: http.Agent;
  /** http.request or https.request, after the URL's protocol. */
  request: typeof http.request;
  breaker: CircuitBreaker;
}

export type Upstreams<Target extends string> = Record<Target, Upstream>;

/** An upstream per target name; throws when a target has no http(s) URL. */
export function createUpstreams<Target extends string>(
  names: readonly Target[],
  urls: Record<Target, string>,
  breaker: BreakerOptions,
  log: Logger,
): Upstreams<Target> {
  const entries = names.map((name) => {
    const url = targetUrl(name, urls[name]);
    const transport = url.protocol === 'https:' ? https : http;
    const upstream: Upstream = {
      name,
      url,
      agent: new transport.Agent({ keepAlive: true }),
      request: transport.request,
      breaker: new CircuitBreaker({
        ...breaker,
        onChange: (state) => logBreakerChange(log, name, state),
      }),
    };
    return [name, upstream] as const;
  });
  // Object.fromEntries cannot know that the keys are exactly the target names; they are.
  return Object.fromEntries(entries) as Upstreams<Target>;
}

function targetUrl(name: string, url: string | undefined): URL {
  if (url === undefined || !URL.canParse(url)) {
    throw new Error(`The facade needs a URL for target "${name}", got ${String(url)}`);
  }
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`Target "${name}" must be an http(s) URL, got ${url}`);
  }
  return parsed;
}

function logBreakerChange(log: Logger, target: string, state: string): void {
  if (state === 'open') log.warn({ target }, 'circuit opened: answering 503 without trying');
  else if (state === 'half-open') log.info({ target }, 'circuit half-open: trying one request');
  else log.info({ target }, 'circuit closed: target is answering again');
}

/** One request to a target that its breaker admitted; end() it exactly once (later calls are ignored). */
export interface UpstreamCall {
  end(outcome: Outcome): void;
}

/**
 * Asks the target's breaker for a permit. Throws the 503 problem when the circuit is open, so
 * a down target costs a request nothing but this check.
 */
export function startCall(upstream: Upstream): UpstreamCall {
  const permit = upstream.breaker.admit();
  if (permit === undefined) throw unavailable(upstream);
  let ended = false;
  return {
    end(outcome) {
      if (ended) return;
      ended = true;
      upstream.breaker.report(permit, outcome);
    },
  };
}

/** The 503 for this target, with a Retry-After of when its breaker will try again. */
export function unavailable(upstream: Upstream) {
  return facadeProblems.unavailable(upstream.breaker.retryAfterMs());
}

export function closeUpstreams(upstreams: Upstreams<string>): void {
  for (const upstream of Object.values<Upstream>(upstreams)) upstream.agent.destroy();
}
