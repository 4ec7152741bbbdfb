import { describe, expect, it } from 'vitest';
import { measureMemory } from '../../../simulator/measure-memory.js';

// How much memory this takes at a million events is a figure of `npm run bench` (scenario I,
// docs/BENCHMARKS.md); the test keeps what must hold at any size.
describe('simulator memory check', () => {
  it('pages through every authentication event of a big account in order and reports the peak RSS', { timeout: 120_000 }, async () => {
    const report = await measureMemory({ events: 20_000, days: 30, users: 1_000 });
    expect(report.events).toBe(report.totalObjects);
    expect(report.events).toBeGreaterThan(19_000);
    expect(report.pages).toBe(Math.ceil(report.events / 1000));
    expect(report.ordered).toBe(true);
    expect(report.peakRssBytes).toBeGreaterThanOrEqual(report.startRssBytes);
    expect(report.startRssBytes).toBeGreaterThan(0);
  });
});
