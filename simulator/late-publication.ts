import { hash2, hash3, unit } from './prng.js';
import { LATE_PUBLICATION_DEFAULTS, type FaultSpec } from './spec.js';
import { BUCKET_MS, DELAY_MS, type Timeline } from './timeline.js';

const SALT_LATE = 0x4c61;
const SALT_LATENESS = 0x4c62;

/**
 * Authentication events Duo publishes late: each event is late or not by a seeded draw on its own
 * (bucket, index), so the same spec hides the same events in every process and at every instant.
 * A late event becomes visible at ts + two minutes + its lateness, and not before.
 */
export class LatePublication {
  /** The longest lateness any event can have (ms). */
  readonly maxLatenessMs: number;
  private readonly seed: number;
  private readonly rate: number;
  private readonly minMs: number;
  private readonly spanMs: number;
  private readonly logUniform: boolean;

  private constructor(spec: FaultSpec, fallbackSeed: number) {
    this.seed = hash2(spec.seed ?? fallbackSeed, SALT_LATE);
    this.rate = spec.latePublicationRate ?? 0;
    this.minMs = (spec.latePublicationMinMinutes ?? LATE_PUBLICATION_DEFAULTS.minMinutes) * 60_000;
    this.maxLatenessMs = (spec.latePublicationMaxMinutes ?? LATE_PUBLICATION_DEFAULTS.maxMinutes) * 60_000;
    this.spanMs = Math.max(0, this.maxLatenessMs - this.minMs);
    this.logUniform = (spec.latePublicationShape ?? 'logUniform') === 'logUniform';
  }

  /** The late-publication fault a spec describes, or undefined when it publishes nothing late. */
  static from(spec: FaultSpec, fallbackSeed: number): LatePublication | undefined {
    return (spec.latePublicationRate ?? 0) > 0 ? new LatePublication(spec, fallbackSeed) : undefined;
  }

  /** How much later than Duo's two minutes the event appears (ms); 0 for an event on time. */
  latenessMs(bucket: number, index: number): number {
    if (unit(hash3(this.seed, bucket, index)) >= this.rate) return 0;
    const u = unit(hash3(this.seed ^ SALT_LATENESS, bucket, index));
    // Log-uniform: (1 + span)^u - 1 spreads from 0 to span, most of the mass near the start.
    const offset = this.logUniform ? Math.pow(1 + this.spanMs, u) - 1 : u * this.spanMs;
    return Math.max(1, Math.round(this.minMs + offset));
  }

  /** When the event becomes visible through the API. */
  publishedAtMs(timeline: Timeline, bucket: number, index: number): number {
    return timeline.tsOf(bucket, index) + DELAY_MS + this.latenessMs(bucket, index);
  }

  /** Whether the event is visible at `atMs` (its two-minute delay aside, which the range already applies). */
  isPublished(timeline: Timeline, bucket: number, index: number, atMs: number): boolean {
    // Every event of a bucket this old is out whatever its lateness: no hashing needed.
    if ((bucket + 1) * BUCKET_MS + DELAY_MS + this.maxLatenessMs <= atMs) return true;
    const lateness = this.latenessMs(bucket, index);
    return lateness === 0 || timeline.tsOf(bucket, index) + DELAY_MS + lateness <= atMs;
  }

  /** Every event older than this (ms) is published at `atMs`; younger ones may still be pending. */
  settledBeforeMs(atMs: number): number {
    return atMs - DELAY_MS - this.maxLatenessMs;
  }
}
