import { describe, expect, it } from 'vitest';
import { isRosterDue } from '../../../activities/incremental-run.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const start = Date.parse('2026-11-01T00:00:00Z');

/**
 * Runs a tenant's schedule for `days`: a run every `intervalMinutes` (aligned to the epoch, as
 * Temporal's intervals are) plus that run's jitter; each run refreshes the roster when isRosterDue says so.
 * Returns the instants of the refreshes (the first is the initial sync's, at `start`).
 */
function refreshesOver(days: number, intervalMinutes: number, jitterMs: (run: number) => number, hourUtc?: number): Date[] {
  const refreshes = [new Date(start)];
  const intervalMs = intervalMinutes * MINUTE;
  for (let run = 1; run * intervalMs <= days * DAY; run++) {
    const now = new Date(start + run * intervalMs + jitterMs(run));
    if (isRosterDue(refreshes[refreshes.length - 1] ?? null, hourUtc, now, intervalMinutes)) refreshes.push(now);
  }
  return refreshes;
}

const gapsInHours = (refreshes: Date[]) => refreshes.slice(1).map((at, i) => (at.getTime() - (refreshes[i]?.getTime() ?? 0)) / HOUR);

describe('isRosterDue', () => {
  it('is due when the roster was never synced', () => {
    expect(isRosterDue(null, undefined, new Date(start), 5)).toBe(true);
    expect(isRosterDue(null, 3, new Date(start), 5)).toBe(true);
  });

  it('refreshes every day with a daily interval whose jitter lands some runs a few minutes early', () => {
    // Jitter up to 5 minutes: every other run lands 4 minutes earlier after the previous one than 24 h.
    const refreshes = refreshesOver(10, 1440, (run) => (run % 2 === 0 ? 0 : 4 * MINUTE));
    expect(refreshes).toHaveLength(11);
  });

  it('refreshes once a day, close to 24 hours apart, with a five-minute interval', () => {
    const gaps = gapsInHours(refreshesOver(10, 5, (run) => ((run * 7919) % 60) * 1000));
    expect(gaps).toHaveLength(10);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThan(23.9);
      expect(gap).toBeLessThan(24.1);
    }
  });

  it('waits the whole day (less half an interval) without a chosen hour', () => {
    const last = new Date('2026-11-27T03:30:00Z');
    expect(isRosterDue(last, undefined, new Date('2026-11-28T03:27:00Z'), 5)).toBe(false);
    expect(isRosterDue(last, undefined, new Date('2026-11-28T03:28:00Z'), 5)).toBe(true);
    // A daily interval: the next run is a day away, so half a day since the last refresh is enough.
    expect(isRosterDue(last, undefined, new Date('2026-11-27T15:29:00Z'), 1440)).toBe(false);
    expect(isRosterDue(last, undefined, new Date('2026-11-27T15:30:00Z'), 1440)).toBe(true);
  });

  it('refreshes every day at the first run after the chosen hour when no run lands inside that hour', () => {
    // Every two hours at even hours and 10 minutes: nothing ever runs between 03:00 and 04:00.
    const refreshes = refreshesOver(10.5, 120, () => 10 * MINUTE, 3).slice(1);
    expect(refreshes).toHaveLength(10);
    for (const at of refreshes) expect(at.toISOString().slice(11, 16)).toBe('04:10');
  });

  it('refreshes in the chosen hour itself when runs land in it', () => {
    const refreshes = refreshesOver(10.5, 5, () => 30 * 1000, 3).slice(1);
    expect(refreshes).toHaveLength(10);
    for (const at of refreshes) expect(at.toISOString().slice(11, 19)).toBe('03:00:30');
  });

  it('does not repeat a refresh made shortly before the chosen hour', () => {
    expect(isRosterDue(new Date('2026-11-28T02:40:00Z'), 3, new Date('2026-11-28T03:05:00Z'), 5)).toBe(false);
    expect(isRosterDue(new Date('2026-11-27T03:02:00Z'), 3, new Date('2026-11-28T03:05:00Z'), 5)).toBe(true);
  });

  it('goes back to the chosen hour after a refresh at another time, instead of drifting', () => {
    const last = new Date('2026-11-27T14:00:00Z'); // e.g. the initial sync's
    expect(isRosterDue(last, 3, new Date('2026-11-28T03:05:00Z'), 5)).toBe(false); // only 13 h old
    expect(isRosterDue(last, 3, new Date('2026-11-28T14:05:00Z'), 5)).toBe(false); // old enough, but not the hour
    expect(isRosterDue(last, 3, new Date('2026-11-29T03:05:00Z'), 5)).toBe(true);
  });

  it('refreshes anyway after two days without one (every run around the hour missed)', () => {
    expect(isRosterDue(new Date('2026-11-26T01:00:00Z'), 5, new Date('2026-11-28T03:30:00Z'), 5)).toBe(true);
  });
});
