import { describe, expect, it } from 'vitest';
import { measureMemory } from '../../../simulator/measure-memory.js';

const MB = 1024 * 1024;

describe('simulator memory', () => {
  it('serves one million authentication events page by page in under 300 MB', { timeout: 300_000 }, async () => {
    // The simulator runs in its own process so its peak RSS is measured alone.
    const report = await measureMemory({ events: 1_000_000, days: 30, users: 10_000 });
    expect(report.events).toBe(report.totalObjects);
    expect(report.events).toBeGreaterThan(950_000);
    expect(report.pages).toBeGreaterThanOrEqual(950);
    expect(report.ordered).toBe(true);
    expect(report.peakRssBytes).toBeGreaterThan(0);
    expect(report.peakRssBytes).toBeLessThan(300 * MB);
  });
});
