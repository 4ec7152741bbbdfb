import { describe, expect, it } from 'vitest';
import { DemoUsageError, parseDemoOptions } from '../../../demo/options.js';
import { formatDuration, renderBar, renderLine, type ProgressSnapshot } from '../../../demo/progress-bar.js';
import { consoleLink, renderTable, temporalUiTenantLink } from '../../../demo/summary.js';

const snapshot: ProgressSnapshot = { phase: 'auth_logs', windowsDone: 45, windowsTotal: 90, events: 30_123, users: 3000, eventsPerSecond: 2500.4, etaSeconds: 75 };

describe('demo options', () => {
  it('has the documented defaults', () => {
    expect(parseDemoOptions([])).toEqual({ users: 3000, groups: 20, days: 90, events: 60_000, tenant: 'demo', exitWhenDone: false });
  });

  it('reads sizes and --exit-when-done', () => {
    expect(parseDemoOptions(['--users', '10', '--days', '7', '--events', '100', '--exit-when-done'])).toMatchObject({ users: 10, days: 7, events: 100, exitWhenDone: true });
  });

  it('names a bad option', () => {
    expect(() => parseDemoOptions(['--days', '400'])).toThrow(new DemoUsageError('--days must be a whole number from 1 to 179, got "400"'));
    expect(() => parseDemoOptions(['--users', 'many'])).toThrow(/--users must be a whole number/);
    expect(() => parseDemoOptions(['--tenant', 'a b'])).toThrow(/--tenant must match/);
    expect(() => parseDemoOptions(['--nope'])).toThrow(DemoUsageError);
  });
});

describe('demo progress', () => {
  it('draws a bar with phase, events, rate and ETA that fits the terminal', () => {
    const line = renderBar(snapshot, 120);
    expect(line).toMatch(/^\[█+░+\] {2}50% {2}phase auth_logs {2}3,000 users {2}30,123 events {2}45\/90 days {2}2,500 events\/s {2}ETA 1:15$/);
    expect(line.length).toBeLessThan(120);
    expect(renderBar({ ...snapshot, phase: 'roster', windowsDone: 0 }, 120)).toContain('   0%');
  });

  it('writes plain lines for logs', () => {
    expect(renderLine({ ...snapshot, eventsPerSecond: undefined, etaSeconds: undefined })).toBe(
      'initial sync 50%: phase auth_logs, 3,000 users, 30,123 events, 45/90 days, ETA --:--',
    );
    expect(formatDuration(3725)).toBe('1:02:05');
  });
});

describe('demo summary', () => {
  it('aligns tables and links the Temporal UI filtered to the tenant', () => {
    expect(renderTable(['name', 'n'], [['a', '1'], ['bbb', '1,000']])).toBe('name      n\n----  -----\na         1\nbbb   1,000');
    expect(temporalUiTenantLink('http://127.0.0.1:8233', 'default', 'demo')).toBe(
      'http://127.0.0.1:8233/namespaces/default/workflows?query=TenantId%3D%22demo%22',
    );
  });

  it('links the console logged in through the fragment only, never the query string', () => {
    const link = consoleLink('http://127.0.0.1:8080', 'demo', 'dus_0123456789abcdef_secret');
    expect(link).toBe('http://127.0.0.1:8080/#key=dus_0123456789abcdef_secret&tenant=demo');
    expect(new URL(link).search).toBe('');
  });
});
