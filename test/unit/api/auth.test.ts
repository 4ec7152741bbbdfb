import { describe, expect, it } from 'vitest';
import { bearerToken, createBearerCheck } from '../../../api/auth.js';

const token = 'test-token-0123456789abcdef';

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER   abc', 'abc'],
  ])('reads the token of %j', (header, expected) => {
    expect(bearerToken(header)).toBe(expected);
  });

  it.each([undefined, '', 'Bearer', 'Bearer ', 'Basic abc', 'abc', 'Bearer a b', 'Bearerabc'])('finds no token in %j', (header) => {
    expect(bearerToken(header)).toBeUndefined();
  });
});

describe('createBearerCheck', () => {
  const check = createBearerCheck(token);

  it('accepts the exact token', () => {
    expect(check(`Bearer ${token}`)).toBe(true);
  });

  it.each([
    ['a missing header', undefined],
    ['another token of the same length', `Bearer ${'x'.repeat(token.length)}`],
    ['a prefix', `Bearer ${token.slice(0, 5)}`],
    ['a longer token', `Bearer ${token}${token}`],
    ['a different case', `Bearer ${token.toUpperCase()}`],
    ['the empty string', ''],
  ])('refuses %s without throwing (lengths differ: the compare runs on fixed-size digests)', (_name, header) => {
    expect(check(header)).toBe(false);
  });

  it('refuses to be built without a token', () => {
    expect(() => createBearerCheck('')).toThrow();
  });
});
