import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/facade/config.ts';

const TARGETS = { MONOLITH_URL: 'http://127.0.0.1:4001', SLOTS_URL: 'http://127.0.0.1:4002' };

describe("the facade's configuration", () => {
  it('trusts no proxy by default: the facade is the front door', () => {
    expect(loadConfig(TARGETS).TRUST_PROXY).toBe(false);
  });

  it('trusts the proxy TRUST_PROXY names, e.g. one load balancer', () => {
    expect(loadConfig({ ...TARGETS, TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ ...TARGETS, TRUST_PROXY: 'loopback' }).TRUST_PROXY).toBe('loopback');
  });

  it('refuses a TRUST_PROXY that is neither a hop count nor addresses', () => {
    expect(() => loadConfig({ ...TARGETS, TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
  });
});
