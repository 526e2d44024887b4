import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, jwkJsonSchema, parseConfig, serviceConfigSchema } from '../src/index.ts';

describe('parseConfig', () => {
  it('applies the shared defaults to an empty environment', () => {
    const config = parseConfig(serviceConfigSchema, {});

    expect(config).toEqual({
      PORT: 3000,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      STAGE: '00',
      BODY_LIMIT_BYTES: 32_768,
      RATE_LIMIT_PER_MINUTE: 600,
      TRUST_PROXY: 'loopback',
    });
  });

  it('coerces numbers from environment strings', () => {
    const config = parseConfig(serviceConfigSchema, { PORT: '8080', RATE_LIMIT_PER_MINUTE: '0' });

    expect(config.PORT).toBe(8080);
    expect(config.RATE_LIMIT_PER_MINUTE).toBe(0);
  });

  it('treats an empty variable as unset, so the default applies', () => {
    const config = parseConfig(serviceConfigSchema, { PORT: '' });

    expect(config.PORT).toBe(3000);
  });

  it('lists every problem at once, one per line, named by variable', () => {
    const schema = serviceConfigSchema.extend({ DATABASE_URL: z.url() });

    let error: unknown;
    try {
      parseConfig(schema, { PORT: 'eighty', STAGE: '1', LOG_LEVEL: 'loud' });
    } catch (err) {
      error = err;
    }

    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues.map((issue) => issue.split(':')[0]).sort()).toEqual([
      'DATABASE_URL',
      'LOG_LEVEL',
      'PORT',
      'STAGE',
    ]);
    for (const issue of issues) expect((error as ConfigError).message).toContain(issue);
  });

  it('reads process.env when no environment is passed', () => {
    const config = parseConfig(z.object({ PATH: z.string() }));

    expect(config.PATH).toBe(process.env.PATH);
  });
});

describe('jwkJsonSchema', () => {
  const schema = z.object({ KEY: jwkJsonSchema });

  it('parses a JSON Web Key given as JSON text', () => {
    const config = parseConfig(schema, { KEY: '{"kty":"OKP","crv":"Ed25519","x":"abc"}' });
    expect(config.KEY.kty).toBe('OKP');
  });

  it('lists text that is not a JSON Web Key as a config problem', () => {
    for (const KEY of ['not json', '{"no":"kty"}', '42']) {
      expect(() => parseConfig(schema, { KEY })).toThrow(/KEY: expected a JSON Web Key/);
    }
  });
});

describe('TRUST_PROXY', () => {
  it('reads a hop count as a number and anything else as Express address names', () => {
    expect(parseConfig(serviceConfigSchema, { TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(parseConfig(serviceConfigSchema, { TRUST_PROXY: '10.0.0.0/16' }).TRUST_PROXY).toBe(
      '10.0.0.0/16',
    );
  });

  it('lists a value Express could not use as a config problem, not a crash later', () => {
    for (const TRUST_PROXY of ['true', 'everyone', '1.2.3.4; rm -rf']) {
      expect(() => parseConfig(serviceConfigSchema, { TRUST_PROXY })).toThrow(/TRUST_PROXY/);
    }
  });
});
