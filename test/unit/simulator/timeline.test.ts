import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUCKET_MS, Timeline, visibleRange, type EventKey } from '../../../simulator/timeline.js';

const ANCHOR = Date.UTC(2026, 0, 15, 12, 0, 0);
const DAY = 86_400_000;

function timeline(overrides: Partial<ConstructorParameters<typeof Timeline>[0]> = {}): Timeline {
  return new Timeline({ key: 0xdecaf, historicTotal: 20_000, liveRatePerMinute: 5, anchorMs: ANCHOR, days: 7, ...overrides });
}

function collect(t: Timeline, lo: number, hi: number, order: 'asc' | 'desc', after?: { ts: number; id: string }): EventKey[] {
  return [...t.walk(lo, hi, order, after)];
}

describe('Timeline', () => {
  it('produces about the requested number of historic events', () => {
    const total = timeline().countRange(ANCHOR - 7 * DAY, ANCHOR - 1);
    expect(total).toBeGreaterThan(18_000);
    expect(total).toBeLessThan(22_000);
  });

  it('has no events before its history starts', () => {
    expect(timeline().countRange(0, ANCHOR - 7 * DAY - 1)).toBe(0);
  });

  it('keeps producing live events after the anchor', () => {
    const live = timeline().countRange(ANCHOR, ANCHOR + 60 * 60_000 - 1);
    expect(live).toBeGreaterThan(200);
    expect(live).toBeLessThan(400);
  });

  it('counts a range exactly as many events as it walks', () => {
    const t = timeline();
    fc.assert(
      fc.property(fc.integer({ min: -8 * DAY, max: 0 }), fc.integer({ min: 0, max: 2 * DAY }), (start, length) => {
        const lo = ANCHOR + start;
        const hi = lo + length;
        expect(collect(t, lo, hi, 'asc').length).toBe(t.countRange(lo, hi));
      }),
      { numRuns: 40 },
    );
  });

  it('walks in strictly increasing (ts, id) order, and desc is the exact reverse', () => {
    const t = timeline();
    const lo = ANCHOR - 2 * DAY;
    const hi = ANCHOR - DAY;
    const asc = collect(t, lo, hi, 'asc');
    for (let k = 1; k < asc.length; k++) {
      const a = asc[k - 1];
      const b = asc[k];
      if (!a || !b) continue;
      expect(a.ts < b.ts || (a.ts === b.ts && t.eventId(a) < t.eventId(b))).toBe(true);
    }
    expect(collect(t, lo, hi, 'desc').map((k) => t.eventId(k))).toEqual(asc.map((k) => t.eventId(k)).reverse());
  });

  it('resumes strictly after a cursor in either direction', () => {
    const t = timeline();
    const lo = ANCHOR - 3 * DAY;
    const hi = ANCHOR - 2 * DAY;
    const asc = collect(t, lo, hi, 'asc');
    const middle = asc[Math.floor(asc.length / 2)];
    if (!middle) throw new Error('expected events');
    const cursor = { ts: middle.ts, id: t.eventId(middle) };
    expect(collect(t, lo, hi, 'asc', cursor).map((k) => t.eventId(k))).toEqual(asc.slice(Math.floor(asc.length / 2) + 1).map((k) => t.eventId(k)));
    expect(collect(t, lo, hi, 'desc', cursor).map((k) => t.eventId(k))).toEqual(
      asc.slice(0, Math.floor(asc.length / 2)).reverse().map((k) => t.eventId(k)),
    );
  });

  it('gives identical events for the same key and different ones for another', () => {
    const ids = (t: Timeline): string[] => collect(t, ANCHOR - DAY, ANCHOR - 1, 'asc').map((k) => `${k.ts}:${t.eventId(k)}`);
    expect(ids(timeline())).toEqual(ids(timeline()));
    expect(ids(timeline({ key: 0xbeef }))).not.toEqual(ids(timeline()));
  });

  it('keeps every event of a bucket inside that minute', () => {
    const t = timeline();
    const bucket = Math.floor((ANCHOR - DAY / 2) / BUCKET_MS);
    for (const key of t.bucketKeys(bucket)) {
      expect(Math.floor(key.ts / BUCKET_MS)).toBe(bucket);
    }
  });

  it('walks a 180-day window holding a handful of events to exactly those events', () => {
    const t = timeline({ historicTotal: 5, days: 180, liveRatePerMinute: 0 });
    const keys = collect(t, ANCHOR - 180 * DAY, ANCHOR, 'asc');
    expect(keys.length).toBe(t.countRange(ANCHOR - 180 * DAY, ANCHOR));
    expect(keys.length).toBeGreaterThan(0);
  });
});

describe('visibleRange', () => {
  it('hides the newest two minutes and anything older than 180 days', () => {
    const now = ANCHOR;
    expect(visibleRange(now, 0, Number.MAX_SAFE_INTEGER)).toEqual({ loMs: now - 180 * DAY, hiMs: now - 120_000 });
    expect(visibleRange(now, now - DAY, now - DAY + 5)).toEqual({ loMs: now - DAY, hiMs: now - DAY + 5 });
  });
});
