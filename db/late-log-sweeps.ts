import { eq, sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { lateLogSweeps } from './schema.js';

export type LateLogSweepRow = typeof lateLogSweeps.$inferSelect;

/** A sweep window being paged: its bounds and the cursor of the last stored page. */
export interface PinnedSweep {
  windowStartMs: number;
  windowEndMs: number;
  cursor: string | null;
}

/** The tenant's sweep state; undefined before its first sweep. */
export async function findLateLogSweep(db: Queryable, tenantId: string): Promise<LateLogSweepRow | undefined> {
  const [row] = await db.select().from(lateLogSweeps).where(eq(lateLogSweeps.tenantId, tenantId));
  return row;
}

/**
 * Whether a sweep is due: one is in progress (pinned window), none ever ran, or the last completed
 * `everyMs` ago or more.
 */
export function isSweepDue(row: LateLogSweepRow | undefined, nowMs: number, everyMs: number): boolean {
  if (everyMs <= 0) return row?.windowEndMs != null;
  if (!row) return true;
  if (row.windowEndMs !== null) return true;
  return row.lastSweptAt === null || nowMs - row.lastSweptAt.getTime() >= everyMs;
}

/**
 * Pins the window a sweep pages, or returns the one already pinned (a retried or resumed sweep keeps
 * its window and cursor, so no page is fetched twice and the window does not slide meanwhile).
 */
export async function pinSweepWindow(db: Queryable, tenantId: string, window: { windowStartMs: number; windowEndMs: number }): Promise<PinnedSweep> {
  const [row] = await db.execute<{ window_start_ms: string; window_end_ms: string; cursor: string | null }>(sql`
    insert into late_log_sweeps (tenant_id, window_start_ms, window_end_ms)
    values (${tenantId}, ${window.windowStartMs}, ${window.windowEndMs})
    on conflict (tenant_id) do update set
      window_start_ms = coalesce(late_log_sweeps.window_start_ms, excluded.window_start_ms),
      window_end_ms = coalesce(late_log_sweeps.window_end_ms, excluded.window_end_ms),
      updated_at = now()
    returning window_start_ms, window_end_ms, cursor`);
  if (!row) throw new Error('late_log_sweeps row vanished');
  return { windowStartMs: Number(row.window_start_ms), windowEndMs: Number(row.window_end_ms), cursor: row.cursor };
}

/**
 * Saves a page's cursor and what it found; call it in the transaction that stored the page's rows.
 * `found` adds to the pinned sweep's count and the tenant's total at once.
 */
export async function advanceSweep(db: Queryable, tenantId: string, page: { cursor: string | null; found: number }): Promise<void> {
  await db
    .update(lateLogSweeps)
    .set({
      cursor: page.cursor,
      lateEventsFound: sql`${lateLogSweeps.lateEventsFound} + ${page.found}`,
      lastFound: sql`case when ${lateLogSweeps.cursor} is null then ${page.found} else ${lateLogSweeps.lastFound} + ${page.found} end`,
      updatedAt: new Date(),
    })
    .where(eq(lateLogSweeps.tenantId, tenantId));
}

/** The pinned window is fully read: the sweep is complete as of `at`. */
export async function completeSweep(db: Queryable, tenantId: string, at: Date): Promise<{ found: number }> {
  const [row] = await db
    .update(lateLogSweeps)
    .set({ windowStartMs: null, windowEndMs: null, cursor: null, lastSweptAt: at, updatedAt: at })
    .where(eq(lateLogSweeps.tenantId, tenantId))
    .returning({ found: lateLogSweeps.lastFound });
  return { found: row?.found ?? 0 };
}
