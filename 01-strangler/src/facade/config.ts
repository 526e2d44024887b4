import { parseConfig, serviceConfigSchema } from '@course/service-kit';
import { z } from 'zod';

const facadeConfigSchema = serviceConfigSchema.extend({
  // Where the route table's targets listen. Locally the runner picks the ports.
  MONOLITH_URL: z.url({ protocol: /^https?$/ }),
  SLOTS_URL: z.url({ protocol: /^https?$/ }),
  // The facade is the front door: unless TRUST_PROXY says which proxy stands in front of it
  // (e.g. 1 behind a load balancer), it believes no X-Forwarded-For, not even from loopback,
  // or a client could choose the address the services behind it rate-limit and log.
  TRUST_PROXY: z.union(
    [z.undefined().transform(() => false as const), serviceConfigSchema.shape.TRUST_PROXY],
    'expected a hop count (e.g. 1) or addresses/ranges (e.g. loopback, 10.0.0.0/16)',
  ),
});

export type FacadeConfig = z.infer<typeof facadeConfigSchema>;

/** Parses the environment once; throws a ConfigError that lists every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): FacadeConfig {
  return parseConfig(facadeConfigSchema, env);
}
