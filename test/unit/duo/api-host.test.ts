import { describe, expect, it } from 'vitest';
import { apiHostSchema, assertApiHost } from '../../../duo/api-host.js';
import { DuoInvalidApiHostError } from '../../../duo/errors.js';

/** What `run` throws; fails the test when it throws nothing. */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return expect.unreachable('expected a throw');
}

describe('apiHostSchema', () => {
  it.each(['api-abc123.duosecurity.com', 'api-XXXXXXXX.duosecurity.com', 'api-1a2b3c4d.duofederal.com'])('accepts %s', (host) => {
    expect(apiHostSchema.safeParse(host).success).toBe(true);
  });

  it('lower-cases the host', () => {
    expect(apiHostSchema.parse('API-AbC123.DuoSecurity.COM')).toBe('api-abc123.duosecurity.com');
  });

  it.each([
    ['a longer host ending elsewhere', 'api-x.duosecurity.com.evil.com'],
    ['user info before the host', 'user@api-x.duosecurity.com'],
    ['the Duo host as user info', 'api-x.duosecurity.com@evil.com'],
    ['an IPv4 literal', '127.0.0.1'],
    ['an IPv6 literal', '[::1]'],
    ['a metadata-service IP', '169.254.169.254'],
    ['a port', 'api-x.duosecurity.com:8443'],
    ['a path', 'api-x.duosecurity.com/admin'],
    ['a scheme', 'https://api-x.duosecurity.com'],
    ['a Duo host in the path', 'evil.com/api-x.duosecurity.com'],
    ['an empty account id', 'api-.duosecurity.com'],
    ['a dash in the account id', 'api-ab-cd.duosecurity.com'],
    ['an underscore in the account id', 'api-ab_cd.duosecurity.com'],
    ['a look-alike domain', 'api-x.evilduosecurity.com'],
    ['a prefix before api-', 'xapi-x.duosecurity.com'],
    ['another TLD', 'api-x.duosecurity.co'],
    ['an extra label', 'api-x.sub.duosecurity.com'],
    ['a trailing dot', 'api-x.duosecurity.com.'],
    ['a trailing newline', 'api-x.duosecurity.com\n'],
    ['leading whitespace', ' api-x.duosecurity.com'],
    ['a non-ASCII letter', 'api-\u1e8b.duosecurity.com'],
    ['a percent-encoded dot', 'api-x%2eduosecurity.com'],
    ['a query', 'api-x.duosecurity.com?x=1'],
    ['a fragment', 'api-x.duosecurity.com#frag'],
    ['an empty string', ''],
  ])('refuses %s', (_label, host) => {
    expect(apiHostSchema.safeParse(host).success).toBe(false);
  });

  it('refuses a non-string', () => {
    expect(apiHostSchema.safeParse(42).success).toBe(false);
  });

  it('names the field in its message', () => {
    const result = apiHostSchema.safeParse('evil.com');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/^apiHost must be a Duo API host/);
  });
});

describe('assertApiHost', () => {
  it('returns the lower-cased host', () => {
    expect(assertApiHost('api-ABC.duofederal.com')).toBe('api-abc.duofederal.com');
  });

  it('throws DuoInvalidApiHostError with its stable code', () => {
    expect(() => assertApiHost('api-x.duosecurity.com.evil.com')).toThrow(DuoInvalidApiHostError);
    expect(thrownBy(() => assertApiHost('127.0.0.1'))).toMatchObject({ code: 'DUO_INVALID_API_HOST', retryable: false });
  });
});

describe('DuoInvalidApiHostError', () => {
  it('does not echo the refused value', () => {
    const pasted = 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep';
    const error = thrownBy(() => assertApiHost(pasted));
    expect(error).toBeInstanceOf(DuoInvalidApiHostError);
    expect(JSON.stringify(error) + String(error)).not.toContain(pasted);
  });
});
