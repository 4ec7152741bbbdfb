import { describe, expect, it } from 'vitest';
import { LatePublication } from '../../../simulator/late-publication.js';
import { countEvents, forEachEvent, type LogView, type Publication } from '../../../simulator/log-view.js';
import { DELAY_MS, Timeline } from '../../../simulator/timeline.js';

const ANCHOR = Date.UTC(2026, 5, 1, 12, 0, 0);
const MINUTE = 60_000;
const timeline = new Timeline({ key: 4242, historicTotal: 20_000, liveRatePerMinute: 40, anchorMs: ANCHOR, days: 2 });

function late(spec: Parameters<typeof LatePublication.from>[0]): LatePublication {
  const publication = LatePublication.from(spec, 1);
  if (!publication) throw new Error('expected a late-publication fault');
  return publication;
}

function eventsOf(view: LogView, publication: Publication): Array<[number, number]> {
  const events: Array<[number, number]> = [];
  forEachEvent(view, publication, (bucket, index) => events.push([bucket, index]));
  return events;
}

describe('LatePublication', () => {
  it('is absent when the rate is zero or unset', () => {
    expect(LatePublication.from({}, 1)).toBeUndefined();
    expect(LatePublication.from({ latePublicationRate: 0 }, 1)).toBeUndefined();
  });

  it('makes about the configured share of events late, each within the configured bounds', () => {
    const fault = late({ latePublicationRate: 0.2, latePublicationMinMinutes: 10, latePublicationMaxMinutes: 90 });
    let lateCount = 0;
    let total = 0;
    timeline.forEachInRange(ANCHOR - 2 * 86_400_000, ANCHOR, (bucket, index) => {
      total++;
      const lateness = fault.latenessMs(bucket, index);
      if (lateness === 0) return;
      lateCount++;
      expect(lateness).toBeGreaterThanOrEqual(10 * MINUTE);
      expect(lateness).toBeLessThanOrEqual(90 * MINUTE);
    });
    expect(lateCount / total).toBeGreaterThan(0.18);
    expect(lateCount / total).toBeLessThan(0.22);
  });

  it('spreads log-uniform lateness mostly near the minimum, uniform lateness evenly', () => {
    const spec = { latePublicationRate: 1, latePublicationMinMinutes: 0, latePublicationMaxMinutes: 240 } as const;
    const median = (shape: 'logUniform' | 'uniform'): number => {
      const fault = late({ ...spec, latePublicationShape: shape });
      const values: number[] = [];
      timeline.forEachInRange(ANCHOR - 86_400_000, ANCHOR, (bucket, index) => values.push(fault.latenessMs(bucket, index)));
      return values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    };
    expect(median('logUniform')).toBeLessThan(30 * MINUTE);
    expect(median('uniform')).toBeGreaterThan(100 * MINUTE);
  });

  it('picks the same late events for the same seed, and others for another seed', () => {
    const lateSet = (seed: number): string => {
      const fault = late({ seed, latePublicationRate: 0.1 });
      const keys: string[] = [];
      timeline.forEachInRange(ANCHOR - 86_400_000, ANCHOR, (bucket, index) => {
        if (fault.latenessMs(bucket, index) > 0) keys.push(`${bucket}:${index}`);
      });
      return keys.join(',');
    };
    expect(lateSet(5)).toBe(lateSet(5));
    expect(lateSet(5)).not.toBe(lateSet(6));
  });
});

describe('a log view with late events', () => {
  const fault = late({ latePublicationRate: 0.3, latePublicationMinMinutes: 5, latePublicationMaxMinutes: 60 });
  const at = ANCHOR + 30 * MINUTE;
  const view: LogView = { timeline, atMs: at, loMs: ANCHOR - 6 * 3_600_000, hiMs: at - DELAY_MS, late: fault };

  it('splits the window into visible and pending events, which together are all of it', () => {
    const visible = eventsOf(view, 'visible');
    const pending = eventsOf(view, 'pending');
    const eventual = eventsOf(view, 'eventual');
    expect(pending.length).toBeGreaterThan(0);
    expect(visible.length + pending.length).toBe(eventual.length);
    const key = ([bucket, index]: [number, number]) => `${bucket}:${index}`;
    expect(new Set([...visible, ...pending].map(key))).toEqual(new Set(eventual.map(key)));
    expect(countEvents(view, 'visible')).toBe(visible.length);
    expect(countEvents(view, 'pending')).toBe(pending.length);
    expect(countEvents(view, 'eventual')).toBe(eventual.length);
  });

  it('holds back exactly the events published after the view instant', () => {
    for (const [bucket, index] of eventsOf(view, 'pending')) expect(fault.publishedAtMs(timeline, bucket, index)).toBeGreaterThan(at);
    for (const [bucket, index] of eventsOf(view, 'visible')) {
      if (fault.latenessMs(bucket, index) > 0) expect(fault.publishedAtMs(timeline, bucket, index)).toBeLessThanOrEqual(at);
    }
  });

  it('has nothing pending once the longest lateness has passed', () => {
    const later: LogView = { ...view, atMs: at + 60 * MINUTE + DELAY_MS };
    expect(countEvents(later, 'pending')).toBe(0);
    expect(countEvents(later, 'visible')).toBe(countEvents(view, 'eventual'));
  });
});
