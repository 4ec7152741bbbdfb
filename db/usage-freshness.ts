import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { backfillWindows, duoIntegrations, streamCheckpoints } from './schema.js';
import { isoInstant } from './usage-periods.js';

const DAY_MS = 86_400_000;

export interface ThresholdCoverage {
  days: number;
  /** Whether every authentication log of the last `days` days before the anchor is stored. */
  complete: boolean;
}

export interface Freshness {
  /** Newest and oldest authentication event stored (ingest-maintained, no scan). */
  newestEventAt: string | null;
  oldestEventAt: string | null;
  /** running | completed | failed */
  initialSync: string;
  /** The initial backfill covers [backfillStartAt, anchorAt); incremental syncs cover what follows. */
  anchorAt: string;
  backfillStartAt: string;
  thresholds: ThresholdCoverage[];
  /** True when any threshold is not complete yet: answers about it undercount activity. */
  partial: boolean;
}

export interface Interval {
  startMs: number;
  endMs: number;
}

/** Whether the union of `intervals` covers [fromMs, toMs). An empty range is covered. */
export function covers(intervals: Interval[], fromMs: number, toMs: number): boolean {
  let reached = fromMs;
  for (const interval of [...intervals].sort((a, b) => a.startMs - b.startMs)) {
    if (reached >= toMs) break;
    if (interval.startMs > reached) return false;
    reached = Math.max(reached, interval.endMs);
  }
  return reached >= toMs;
}

/**
 * How far the tenant's data reaches, per threshold. A threshold of N days is complete once the
 * initial sync completed, or once the backfill windows already done cover [now − N days, anchor)
 * (clipped to where the backfill starts: nothing older is ever fetched). Windows are fetched newest
 * first, so short thresholds become complete long before the initial sync ends.
 * Undefined when the tenant has no Duo integration.
 */
export async function getFreshness(db: Queryable, tenantId: string, thresholdDays: number[], nowMs: number): Promise<Freshness | undefined> {
  const [row] = await db
    .select({
      initialSync: duoIntegrations.initialSyncState,
      anchorMs: sql<number>`(extract(epoch from ${duoIntegrations.anchorAt}) * 1000)::float8`,
      backfillStartMs: sql<number>`(extract(epoch from ${duoIntegrations.backfillStartAt}) * 1000)::float8`,
      anchorAt: isoInstant(sql`${duoIntegrations.anchorAt}`),
      backfillStartAt: isoInstant(sql`${duoIntegrations.backfillStartAt}`),
      newestEventAt: isoInstant(sql`${streamCheckpoints.newestEventAt}`),
      oldestEventAt: isoInstant(sql`${streamCheckpoints.oldestEventAt}`),
    })
    .from(duoIntegrations)
    .leftJoin(streamCheckpoints, and(eq(streamCheckpoints.tenantId, duoIntegrations.tenantId), eq(streamCheckpoints.stream, 'auth')))
    .where(eq(duoIntegrations.tenantId, tenantId));
  if (!row) return undefined;
  const completed = row.initialSync === 'completed';
  const windows = completed
    ? []
    : await db
        .select({ startMs: backfillWindows.windowStartMs, endMs: backfillWindows.windowEndMs })
        .from(backfillWindows)
        .where(and(eq(backfillWindows.tenantId, tenantId), eq(backfillWindows.stream, 'auth'), eq(backfillWindows.done, true)));
  const anchorMs = Number(row.anchorMs);
  const backfillStartMs = Number(row.backfillStartMs);
  const thresholds = thresholdDays.map((days) => ({
    days,
    complete: completed || covers(windows, Math.max(nowMs - days * DAY_MS, backfillStartMs), anchorMs),
  }));
  return {
    newestEventAt: row.newestEventAt,
    oldestEventAt: row.oldestEventAt,
    initialSync: row.initialSync,
    anchorAt: row.anchorAt ?? new Date(anchorMs).toISOString(),
    backfillStartAt: row.backfillStartAt ?? new Date(backfillStartMs).toISOString(),
    thresholds,
    partial: thresholds.some((t) => !t.complete),
  };
}
