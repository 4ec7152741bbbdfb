import { formatEventUuid, MAX_EVENTS_PER_BUCKET, packEventKey, permute48, unpermute48 } from './ids.js';
import { hash3, unit } from './prng.js';

export const BUCKET_MS = 60_000;
/** Duo keeps 180 days of logs and hides the newest two minutes. */
export const RETENTION_MS = 180 * 86_400_000;
export const DELAY_MS = 120_000;

export interface TimelineOptions {
  /** 32-bit key of this log stream (seed mixed with the stream's salt). */
  key: number;
  /** Events spread over the `days` before the anchor. */
  historicTotal: number;
  /** Events per minute from the anchor on. */
  liveRatePerMinute: number;
  /** Minute-aligned instant where history ends and live events begin. */
  anchorMs: number;
  days: number;
}

/** Enough to order, filter and later rebuild one event. */
export interface EventKey {
  ts: number;
  bucket: number;
  index: number;
  /** 48-bit sort key; also the first 12 hex digits of the event's UUID. */
  prefix: number;
}

export interface EventCursor {
  ts: number;
  id: string;
}

export type SortOrder = 'asc' | 'desc';

const MAX_CACHED_KEYS = 50_000;

/** Relative activity per hour of the week (UTC), normalised to a mean of 1. */
const HOUR_OF_WEEK_SHAPE: Float64Array = (() => {
  const shape = new Float64Array(168);
  let sum = 0;
  for (let h = 0; h < 168; h++) {
    const day = Math.floor(h / 24); // 0 = Thursday: the Unix epoch fell on one.
    const hour = h % 24;
    const weekend = day === 2 || day === 3;
    const office = hour >= 8 && hour < 18 ? 1.6 : hour >= 6 && hour < 21 ? 0.8 : 0.25;
    shape[h] = office * (weekend ? 0.3 : 1);
    sum += shape[h] ?? 0;
  }
  for (let h = 0; h < 168; h++) shape[h] = ((shape[h] ?? 0) * 168) / sum;
  return shape;
})();

/**
 * One log stream as a pure function of time: the minute `bucket` holds count(bucket) events whose
 * timestamps and ids derive from (key, bucket, index). Counts are summed into a growable prefix
 * array so range totals and skipping empty stretches cost a binary search, not a scan.
 */
export class Timeline {
  readonly anchorBucket: number;
  readonly firstBucket: number;
  private readonly historicRate: number;
  private cumulative = new Float64Array(1);
  private covered = 0;
  private readonly bucketCache = new Map<number, EventKey[]>();
  private cachedKeys = 0;

  constructor(private readonly options: TimelineOptions) {
    this.anchorBucket = Math.floor(options.anchorMs / BUCKET_MS);
    this.firstBucket = this.anchorBucket - options.days * 1440;
    this.historicRate = options.historicTotal / (options.days * 1440);
  }

  get key(): number {
    return this.options.key;
  }

  count(bucket: number): number {
    if (bucket < this.firstBucket) return 0;
    const rate =
      bucket < this.anchorBucket
        ? this.historicRate * (HOUR_OF_WEEK_SHAPE[Math.floor(bucket / 60) % 168] ?? 1)
        : this.options.liveRatePerMinute;
    if (rate <= 0) return 0;
    const jitter = 0.6 + 0.8 * unit(hash3(this.options.key, bucket, 0xc0));
    const n = Math.floor(rate * jitter + unit(hash3(this.options.key, bucket, 0xc1)));
    return Math.min(n, MAX_EVENTS_PER_BUCKET - 1);
  }

  eventId(key: EventKey): string {
    return formatEventUuid(key.prefix, this.options.key, packEventKey(key.bucket, key.index));
  }

  /** The id of the event whose sort key is `prefix` (the permutation is invertible). */
  eventIdFromPrefix(prefix: number): string {
    return formatEventUuid(prefix, this.options.key, unpermute48(this.options.key, prefix));
  }

  prefixOf(bucket: number, index: number): number {
    return permute48(this.options.key, packEventKey(bucket, index));
  }

  tsOf(bucket: number, index: number): number {
    return bucket * BUCKET_MS + Math.floor(unit(hash3(this.options.key ^ 0x7453, bucket, index)) * BUCKET_MS);
  }

  /** The bucket's events sorted by (ts, id). */
  bucketKeys(bucket: number): EventKey[] {
    const cached = this.bucketCache.get(bucket);
    if (cached) return cached;
    const n = this.count(bucket);
    const keys: EventKey[] = new Array<EventKey>(n);
    for (let index = 0; index < n; index++) {
      keys[index] = { ts: this.tsOf(bucket, index), bucket, index, prefix: this.prefixOf(bucket, index) };
    }
    keys.sort((a, b) => a.ts - b.ts || a.prefix - b.prefix);
    // Bounded by events, not buckets, so dense streams cannot grow the cache past a few MB.
    while (this.bucketCache.size > 0 && this.cachedKeys + n > MAX_CACHED_KEYS) {
      const oldest = this.bucketCache.entries().next();
      if (oldest.done) break;
      this.bucketCache.delete(oldest.value[0]);
      this.cachedKeys -= oldest.value[1].length;
    }
    this.bucketCache.set(bucket, keys);
    this.cachedKeys += n;
    return keys;
  }

  /** Number of events with loMs <= ts <= hiMs. */
  countRange(loMs: number, hiMs: number): number {
    if (hiMs < loMs) return 0;
    const lo = Math.floor(loMs / BUCKET_MS);
    const hi = Math.floor(hiMs / BUCKET_MS);
    if (lo === hi) return this.countInBucket(lo, loMs, hiMs);
    return this.countInBucket(lo, loMs, hiMs) + this.sumBuckets(lo + 1, hi - 1) + this.countInBucket(hi, loMs, hiMs);
  }

  /**
   * Events in [loMs, hiMs] in sort order, strictly after `after` when given. Lazy: a caller that
   * stops after one page has generated little more than that page.
   */
  *walk(loMs: number, hiMs: number, order: SortOrder, after?: EventCursor): Generator<EventKey> {
    if (hiMs < loMs) return;
    const loBucket = Math.max(Math.floor(loMs / BUCKET_MS), this.firstBucket);
    const hiBucket = Math.floor(hiMs / BUCKET_MS);
    if (order === 'asc') {
      let bucket = after ? Math.max(loBucket, Math.floor(after.ts / BUCKET_MS)) : loBucket;
      while (bucket <= hiBucket) {
        const next = this.nextNonEmpty(bucket, hiBucket);
        if (next === undefined) return;
        for (const key of this.bucketKeys(next)) {
          if (key.ts < loMs || key.ts > hiMs) continue;
          if (after && !this.isAfter(key, after, 'asc')) continue;
          yield key;
        }
        bucket = next + 1;
      }
    } else {
      let bucket = after ? Math.min(hiBucket, Math.floor(after.ts / BUCKET_MS)) : hiBucket;
      while (bucket >= loBucket) {
        const previous = this.previousNonEmpty(bucket, loBucket);
        if (previous === undefined) return;
        const keys = this.bucketKeys(previous);
        for (let k = keys.length - 1; k >= 0; k--) {
          const key = keys[k];
          if (!key || key.ts < loMs || key.ts > hiMs) continue;
          if (after && !this.isAfter(key, after, 'desc')) continue;
          yield key;
        }
        bucket = previous - 1;
      }
    }
  }

  /**
   * Calls `visit` for every event in [loMs, hiMs], bucket by bucket and unsorted within a bucket:
   * the cheap scan behind truth checksums (no per-event objects, timestamps only at the edges).
   */
  forEachInRange(loMs: number, hiMs: number, visit: (bucket: number, index: number) => void): void {
    if (hiMs < loMs) return;
    const hiBucket = Math.floor(hiMs / BUCKET_MS);
    let bucket = Math.max(Math.floor(loMs / BUCKET_MS), this.firstBucket);
    while (bucket <= hiBucket) {
      const next = this.nextNonEmpty(bucket, hiBucket);
      if (next === undefined) return;
      const start = next * BUCKET_MS;
      const edge = start < loMs || start + BUCKET_MS - 1 > hiMs;
      const n = this.count(next);
      for (let index = 0; index < n; index++) {
        if (edge) {
          const ts = this.tsOf(next, index);
          if (ts < loMs || ts > hiMs) continue;
        }
        visit(next, index);
      }
      bucket = next + 1;
    }
  }

  private isAfter(key: EventKey, cursor: EventCursor, order: SortOrder): boolean {
    if (key.ts !== cursor.ts) return order === 'asc' ? key.ts > cursor.ts : key.ts < cursor.ts;
    const id = this.eventId(key);
    return order === 'asc' ? id > cursor.id : id < cursor.id;
  }

  private countInBucket(bucket: number, loMs: number, hiMs: number): number {
    const start = bucket * BUCKET_MS;
    if (loMs <= start && hiMs >= start + BUCKET_MS - 1) return this.count(bucket);
    if (this.count(bucket) === 0) return 0;
    let n = 0;
    for (const key of this.bucketKeys(bucket)) if (key.ts >= loMs && key.ts <= hiMs) n++;
    return n;
  }

  /** Sum of counts of buckets from..to inclusive. */
  private sumBuckets(from: number, to: number): number {
    const a = Math.max(from, this.firstBucket);
    if (to < a) return 0;
    return this.prefixAt(to - this.firstBucket + 1) - this.prefixAt(a - this.firstBucket);
  }

  /** Sum of counts of the first `k` buckets from firstBucket. */
  private prefixAt(k: number): number {
    this.ensureCovered(k);
    return this.cumulative[k] ?? 0;
  }

  private ensureCovered(k: number): void {
    if (k <= this.covered) return;
    if (k >= this.cumulative.length) {
      let size = Math.max(this.cumulative.length * 2, 1024);
      while (size <= k) size *= 2;
      const grown = new Float64Array(size);
      grown.set(this.cumulative.subarray(0, this.covered + 1));
      this.cumulative = grown;
    }
    let sum = this.cumulative[this.covered] ?? 0;
    for (let j = this.covered; j < k; j++) {
      sum += this.count(this.firstBucket + j);
      this.cumulative[j + 1] = sum;
    }
    this.covered = k;
  }

  /** First bucket in [from, to] with events, by binary search over the prefix sums. */
  private nextNonEmpty(from: number, to: number): number | undefined {
    const a = Math.max(from, this.firstBucket) - this.firstBucket;
    const b = to - this.firstBucket;
    if (b < a) return undefined;
    const base = this.prefixAt(a);
    if (this.prefixAt(b + 1) === base) return undefined;
    let lo = a;
    let hi = b;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.prefixAt(mid + 1) > base) hi = mid;
      else lo = mid + 1;
    }
    return lo + this.firstBucket;
  }

  /** Last bucket in [to, from] (walking down) with events. */
  private previousNonEmpty(from: number, to: number): number | undefined {
    const b = from - this.firstBucket;
    const a = Math.max(to, this.firstBucket) - this.firstBucket;
    if (b < a) return undefined;
    const top = this.prefixAt(b + 1);
    if (this.prefixAt(a) === top) return undefined;
    let lo = a;
    let hi = b;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (this.prefixAt(mid) < top) lo = mid;
      else hi = mid - 1;
    }
    return lo + this.firstBucket;
  }
}

/**
 * The part of [mintime, maxtime] Duo shows at `atMs`: nothing older than its retention (180 days,
 * or the account's shorter setting) or newer than 2 minutes.
 */
export function visibleRange(atMs: number, minMs: number, maxMs: number, retentionMs: number = RETENTION_MS): { loMs: number; hiMs: number } {
  return { loMs: Math.max(minMs, atMs - retentionMs), hiMs: Math.min(maxMs, atMs - DELAY_MS) };
}
