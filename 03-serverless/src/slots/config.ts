import { parseConfig, serviceConfigSchema } from '@course/service-kit/core';
import { z } from 'zod';

/*
 * The slots functions' configuration, parsed once per execution environment (at module scope,
 * during the function's init), never per invocation.
 *
 * The database is named one of two ways:
 * - DATABASE_URL (locally: the stage sets it in every function through `functionEnvironment`)
 *   — a URL with a password, no TLS. When it is set it wins over everything below.
 * - On AWS: DATABASE_HOST, DATABASE_PORT, DATABASE_NAME and DATABASE_USER, and no password at
 *   all. The password of each new connection is an RDS IAM authentication token, signed here
 *   with the function's own credentials (no network call, so no NAT and no Secrets Manager
 *   endpoint), and TLS is required and verified (RDS refuses IAM authentication without it).
 */

const postgresUrl = z.url({ protocol: /^postgres(ql)?$/ });

export const functionConfigSchema = z
  .object({
    STAGE: z
      .string()
      .regex(/^\d\d$/, 'expected two digits, e.g. "03"')
      .default('03'),
    LOG_LEVEL: serviceConfigSchema.shape.LOG_LEVEL,
    DATABASE_URL: postgresUrl.optional(),
    DATABASE_HOST: z.string().min(1).optional(),
    DATABASE_PORT: z.coerce.number().int().min(1).max(65_535).default(5432),
    DATABASE_NAME: z.string().min(1).default('slots'),
    DATABASE_USER: z.string().min(1).default('slots_lambda'),
    // Lambda sets it in every environment; the IAM token is signed for this region.
    AWS_REGION: z.string().min(1).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.DATABASE_URL !== undefined) return;
    for (const key of ['DATABASE_HOST', 'AWS_REGION'] as const) {
      if (env[key] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'required for RDS IAM authentication when DATABASE_URL is not set',
        });
      }
    }
  })
  .transform(({ DATABASE_URL, DATABASE_HOST, AWS_REGION, ...env }) => ({
    STAGE: env.STAGE,
    LOG_LEVEL: env.LOG_LEVEL,
    database:
      DATABASE_URL !== undefined
        ? ({ kind: 'url', url: DATABASE_URL } as const)
        : ({
            kind: 'iam',
            host: DATABASE_HOST ?? '',
            port: env.DATABASE_PORT,
            name: env.DATABASE_NAME,
            user: env.DATABASE_USER,
            region: AWS_REGION ?? '',
          } as const),
  }));

export const httpFunctionConfigSchema = z
  .object({
    // The users service's published public keys: tokens are verified here, never sent back.
    // On AWS a Cloud Map name inside the VPC (users.course.internal).
    JWKS_URL: z.url({ protocol: /^https?$/ }),
    // Tokens are signed by the users service; this is the issuer their `iss` claim must name.
    TOKEN_ISSUER: z.string().min(1).default('users'),
    BODY_LIMIT_BYTES: serviceConfigSchema.shape.BODY_LIMIT_BYTES,
  })
  .and(functionConfigSchema);

export type FunctionConfig = z.infer<typeof functionConfigSchema>;
export type DatabaseConfig = FunctionConfig['database'];
export type HttpFunctionConfig = z.infer<typeof httpFunctionConfigSchema>;

/** For the ranks function, which only the forum invokes: no tokens to verify. */
export function loadFunctionConfig(env: NodeJS.ProcessEnv = process.env): FunctionConfig {
  return parseConfig(functionConfigSchema, env);
}

/** For the functions behind the HTTP API; throws a ConfigError that lists every problem. */
export function loadHttpFunctionConfig(env: NodeJS.ProcessEnv = process.env): HttpFunctionConfig {
  return parseConfig(httpFunctionConfigSchema, env);
}
