import { fileURLToPath } from 'node:url';
import { parseConfig, serviceConfigSchema } from '@course/service-kit';
import { z } from 'zod';
import { httpUrlSchema, processKindSchema } from '../service.ts';

const defaultWebDist = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

const gatewayConfigSchema = serviceConfigSchema.extend({
  // Where the route table's targets listen: ports picked by the runner, names in compose.
  USERS_URL: httpUrlSchema,
  FORUM_URL: httpUrlSchema,
  SLOTS_URL: httpUrlSchema,
  // The built web app, served for every path no route claims (CloudFront + S3 do it on AWS).
  WEB_DIST_DIR: z.string().min(1).default(defaultWebDist),
  PROCESS_KIND: processKindSchema,
  // The gateway is the front door: it believes no X-Forwarded-For unless told which proxy
  // stands in front of it, or a client could pick the address the services rate-limit.
  TRUST_PROXY: z.union(
    [z.undefined().transform(() => false as const), serviceConfigSchema.shape.TRUST_PROXY],
    'expected a hop count (e.g. 1) or addresses/ranges (e.g. loopback, 10.0.0.0/16)',
  ),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;

/** Parses the environment once; throws a ConfigError that lists every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  return parseConfig(gatewayConfigSchema, env);
}
