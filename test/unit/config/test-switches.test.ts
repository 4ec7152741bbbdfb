import { describe, expect, it } from 'vitest';
import { duoCliEnvSchema, loadConfig } from '../../../config/config.js';
import { ConfigError } from '../../../errors/app-error.js';

/* The test-only switches take effect only in a process started explicitly for development or tests. */

const minimal = { API_TOKEN: 'a-token-of-sixteen+', ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };
const switches = {
  DUO_API_ORIGIN_OVERRIDE: 'http://127.0.0.1:9100',
  DUO_TEST_RESOLVE: 'api-abc123.duosecurity.com:127.0.0.1:9443',
  DUO_TEST_CA_FILE: '/tmp/test-ca.pem',
} as const;
type Switch = keyof typeof switches;
const names = Object.keys(switches) as Switch[];

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ ...minimal, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('test-only switches', () => {
  it.each(names)('refuses %s when NODE_ENV is unset, naming it without echoing its value', (name) => {
    const error = refusal({ [name]: switches[name] });
    expect(error.variables).toEqual([name]);
    expect(error.message).toContain(`${name} is for tests and local runs only`);
    expect(error.message).not.toContain(switches[name]);
  });

  it.each(names)('refuses %s when NODE_ENV=production', (name) => {
    expect(refusal({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/app', [name]: switches[name] }).variables).toEqual([name]);
  });

  it.each(names.flatMap((name) => [[name, 'development'], [name, 'test']] as const))('accepts %s when NODE_ENV=%s', (name, nodeEnv) => {
    expect(loadConfig({ ...minimal, NODE_ENV: nodeEnv, [name]: switches[name] })[name]).toBe(switches[name]);
  });

  it.each(['api-abc123.duosecurity.com:127.0.0.1', 'api-abc123.duosecurity.com:127.0.0.1:0', 'api-abc123.duosecurity.com 127.0.0.1 9443', ','])(
    'refuses DUO_TEST_RESOLVE=%j as malformed',
    (value) => {
      expect(refusal({ NODE_ENV: 'test', DUO_TEST_RESOLVE: value }).variables).toEqual(['DUO_TEST_RESOLVE']);
    },
  );

  it('accepts several DUO_TEST_RESOLVE entries, a wildcard and a bracketed IPv6 address', () => {
    const value = 'api-a1.duosecurity.com:127.0.0.1:9443,*:[::1]:9444';
    expect(loadConfig({ ...minimal, NODE_ENV: 'test', DUO_TEST_RESOLVE: value }).DUO_TEST_RESOLVE).toBe(value);
  });

  it('refuses the origin override and DUO_TEST_RESOLVE together', () => {
    const error = refusal({ NODE_ENV: 'test', DUO_API_ORIGIN_OVERRIDE: switches.DUO_API_ORIGIN_OVERRIDE, DUO_TEST_RESOLVE: switches.DUO_TEST_RESOLVE });
    expect(error.message).toMatch(/DUO_TEST_RESOLVE and DUO_API_ORIGIN_OVERRIDE exclude each other/);
  });

  it('applies the same rule to `npm run duo -- check`', () => {
    expect(duoCliEnvSchema.safeParse({ DUO_TEST_RESOLVE: switches.DUO_TEST_RESOLVE }).success).toBe(false);
    expect(duoCliEnvSchema.safeParse({ NODE_ENV: 'test', DUO_TEST_RESOLVE: switches.DUO_TEST_RESOLVE, DUO_TEST_CA_FILE: switches.DUO_TEST_CA_FILE }).success).toBe(true);
  });
});
