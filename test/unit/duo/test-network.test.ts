import { describe, expect, it } from 'vitest';
import { allowsTestSwitches, parseTestResolve, readTestCa, resolveFor } from '../../../duo/test-network.js';
import { ConfigError } from '../../../errors/app-error.js';

describe('DUO_TEST_RESOLVE', () => {
  const entries = parseTestResolve('API-A1.duosecurity.com:127.0.0.1:9443, *:[::1]:9444');

  it('parses host:address:port entries, lower-casing hosts and unbracketing IPv6', () => {
    expect(entries).toEqual([
      { host: 'api-a1.duosecurity.com', address: '127.0.0.1', port: 9443 },
      { host: '*', address: '::1', port: 9444 },
    ]);
  });

  it('sends a named host to its own entry and any other host to the wildcard', () => {
    expect(resolveFor(entries, 'api-a1.duosecurity.com')?.port).toBe(9443);
    expect(resolveFor(entries, 'api-b2.duosecurity.com')?.port).toBe(9444);
    expect(resolveFor(entries.slice(0, 1), 'api-b2.duosecurity.com')).toBeUndefined();
  });

  it.each(['', 'api-a1.duosecurity.com:127.0.0.1', 'api-a1.duosecurity.com:127.0.0.1:70000'])('refuses %j as a configuration error', (value) => {
    expect(() => parseTestResolve(value)).toThrow(ConfigError);
  });
});

describe('DUO_TEST_CA_FILE', () => {
  it('refuses a file that is not a PEM certificate', () => {
    expect(() => readTestCa(new URL(import.meta.url).pathname)).toThrow(/holds no PEM certificate/);
  });
});

describe('allowsTestSwitches', () => {
  it.each([
    ['development', true],
    ['test', true],
    ['production', false],
    [undefined, false],
    ['', false],
  ])('NODE_ENV=%j → %s', (nodeEnv, allowed) => {
    expect(allowsTestSwitches(nodeEnv)).toBe(allowed);
  });
});
