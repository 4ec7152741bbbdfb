import { describe, expect, it } from 'vitest';
import { DUO_LOG_DELAY_MS, DUO_MAX_LOG_AGE_MS, createDuoClient, resolveLogWindow } from '../../../duo/client.js';
import { DuoInvalidWindowError } from '../../../duo/errors.js';

const now = Date.UTC(2026, 5, 1, 12, 0, 0);
const minute = 60_000;

describe('resolveLogWindow', () => {
  it('keeps a window that ends before now minus two minutes', () => {
    expect(resolveLogWindow({ mintimeMs: now - 60 * minute, maxtimeMs: now - 10 * minute }, now)).toEqual({
      mintimeMs: now - 60 * minute,
      maxtimeMs: now - 10 * minute,
    });
  });

  it('clamps maxtime later than now minus two minutes', () => {
    expect(resolveLogWindow({ mintimeMs: now - 60 * minute, maxtimeMs: now + minute }, now).maxtimeMs).toBe(now - DUO_LOG_DELAY_MS);
  });

  it('accepts mintime exactly at the retention limit', () => {
    expect(resolveLogWindow({ mintimeMs: now - DUO_MAX_LOG_AGE_MS, maxtimeMs: now }, now).mintimeMs).toBe(now - DUO_MAX_LOG_AGE_MS);
  });

  it('refuses mintime older than the retention limit', () => {
    expect(() => resolveLogWindow({ mintimeMs: now - DUO_MAX_LOG_AGE_MS - 1, maxtimeMs: now }, now)).toThrow(/older than Duo's retention/);
  });

  it('keeps a safety margin below Duo\'s 180 days', () => {
    expect(DUO_MAX_LOG_AGE_MS).toBeLessThan(180 * 24 * 60 * minute);
  });

  it('hints at seconds when mintime looks like seconds', () => {
    expect(() => resolveLogWindow({ mintimeMs: Math.floor(now / 1000) - 60, maxtimeMs: now }, now)).toThrow(/looks like seconds/);
  });

  it('refuses mintime equal to maxtime', () => {
    expect(() => resolveLogWindow({ mintimeMs: now - 10 * minute, maxtimeMs: now - 10 * minute }, now)).toThrow(/strictly before/);
  });

  it('refuses mintime that is not before maxtime once maxtime is clamped', () => {
    const error = (() => {
      try {
        resolveLogWindow({ mintimeMs: now - minute, maxtimeMs: now }, now);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DuoInvalidWindowError);
    expect(error).toMatchObject({ code: 'DUO_INVALID_WINDOW', retryable: false, details: { clampedMaxtimeMs: now - DUO_LOG_DELAY_MS } });
  });

  it('refuses non-integer bounds', () => {
    expect(() => resolveLogWindow({ mintimeMs: Number.NaN, maxtimeMs: now }, now)).toThrow(DuoInvalidWindowError);
    expect(() => resolveLogWindow({ mintimeMs: now - 10 * minute + 0.5, maxtimeMs: now }, now)).toThrow(DuoInvalidWindowError);
  });
});

describe('DuoClient window checks', () => {
  // The override points at a closed port: these must fail before any connection is attempted.
  const client = createDuoClient({
    apiHost: 'api-test.duosecurity.com',
    integrationKey: 'DIXXXXXXXXXXXXXXXXXX',
    secretKey: 'x'.repeat(40),
    originOverride: 'http://127.0.0.1:9',
    now: () => now,
  });

  it('refuses a bad auth-log window at call time, before iterating', () => {
    expect(() => client.authLogPages({ mintimeMs: now - 5 * minute, maxtimeMs: now - 5 * minute })).toThrow(DuoInvalidWindowError);
  });

  it('refuses a bad activity-log window at call time', () => {
    expect(() => client.activityLogPages({ mintimeMs: 0, maxtimeMs: now })).toThrow(DuoInvalidWindowError);
  });

  it('refuses a bad telephony-log window at call time', () => {
    expect(() => client.telephonyLogPages({ mintimeMs: now, maxtimeMs: now - minute })).toThrow(DuoInvalidWindowError);
  });

  it('refuses administrator-log mintime given in milliseconds', () => {
    expect(() => client.adminLogPages({ mintimeSec: now })).toThrow(/seconds/);
  });
});
