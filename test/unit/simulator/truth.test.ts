import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { LogView } from '../../../simulator/log-view.js';
import { Timeline } from '../../../simulator/timeline.js';
import { digestSorted, LineDigest, sortedEventIds } from '../../../simulator/truth.js';

const ANCHOR = Date.UTC(2026, 2, 1);
const DAY = 86_400_000;
const timeline = new Timeline({ key: 77, historicTotal: 30_000, liveRatePerMinute: 0, anchorMs: ANCHOR, days: 10 });
const view = (loMs: number, hiMs: number): LogView => ({ timeline, atMs: ANCHOR, loMs, hiMs, late: undefined });

describe('sortedEventIds', () => {
  it('lists exactly the walked ids, sorted as strings', () => {
    const lo = ANCHOR - 6 * DAY + 12_345;
    const hi = ANCHOR - 2 * DAY - 999;
    const walked = [...timeline.walk(lo, hi, 'asc')].map((k) => timeline.eventId(k)).sort();
    expect([...sortedEventIds(view(lo, hi))]).toEqual(walked);
  });

  it('gives the same list when memory forces several passes', () => {
    const lo = ANCHOR - 10 * DAY;
    const hi = ANCHOR;
    const onePass = [...sortedEventIds(view(lo, hi))];
    expect(onePass.length).toBeGreaterThan(20_000);
    expect([...sortedEventIds(view(lo, hi), 'visible', 1_000)]).toEqual(onePass);
  });
});

describe('LineDigest', () => {
  it('hashes the lines joined by newlines, without a trailing one', () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => `line-${String(i).padStart(5, '0')}`);
    const digest = new LineDigest();
    for (const line of lines) digest.add(line);
    expect(digest.digest()).toEqual({ count: 10_000, checksum: createHash('sha256').update(lines.join('\n')).digest('hex') });
  });

  it('hashes the empty set as the SHA-256 of ""', () => {
    expect(digestSorted([])).toEqual({ count: 0, checksum: createHash('sha256').update('').digest('hex') });
  });
});
