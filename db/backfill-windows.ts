import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { backfillWindows } from './schema.js';

export type BackfillWindowRow = typeof backfillWindows.$inferSelect;

export interface WindowKey {
  tenantId: string;
  stream: string;
  windowStartMs: number;
  windowEndMs: number;
}

/** The window's primary key. */
const isWindow = (key: WindowKey) =>
  and(eq(backfillWindows.tenantId, key.tenantId), eq(backfillWindows.stream, key.stream), eq(backfillWindows.windowStartMs, key.windowStartMs));

/** Returns the window's saved state, creating it on first use. */
export async function openBackfillWindow(db: Queryable, key: WindowKey): Promise<BackfillWindowRow> {
  await db.insert(backfillWindows).values(key).onConflictDoNothing();
  const [row] = await db
    .select()
    .from(backfillWindows)
    .where(isWindow(key));
  if (!row) throw new Error('backfill window row vanished');
  return row;
}

/** Saves the page cursor; call it in the transaction that stored the page's rows. */
export async function advanceBackfillWindow(
  db: Queryable,
  key: WindowKey,
  page: { cursor: string | null; done: boolean; events: number },
): Promise<void> {
  await db
    .update(backfillWindows)
    .set({
      cursor: page.cursor,
      done: page.done,
      pages: sql`${backfillWindows.pages} + 1`,
      events: sql`${backfillWindows.events} + ${page.events}`,
      // The page after the one that kept failing arrived: a later malformed answer starts a new streak.
      malformedStreak: 0,
      malformedAt: null,
      updatedAt: new Date(),
    })
    .where(isWindow(key));
}

/**
 * Counts one more malformed Duo answer for the page requested with `cursor` ('' for the window's
 * first page) and returns how many came in a row for that page. A different page starts over at 1.
 * Committed on its own: the attempt is failing, and the count must outlive it.
 */
export async function recordMalformedBackfillPage(db: Queryable, key: WindowKey, cursor: string): Promise<number> {
  const [row] = await db
    .update(backfillWindows)
    .set({
      malformedStreak: sql`case when ${backfillWindows.malformedAt} = ${cursor} then ${backfillWindows.malformedStreak} + 1 else 1 end`,
      malformedAt: cursor,
      updatedAt: new Date(),
    })
    .where(isWindow(key))
    .returning({ streak: backfillWindows.malformedStreak });
  return row?.streak ?? 1;
}

/**
 * Closes as done and empty every backfill window of the tenant's stream that lies wholly before
 * `beforeMs`, walking down from `fromEndMs` in windows of `windowMs` to `backfillStartMs` (the
 * boundaries the initial sync uses). A window already paged (pages > 0) keeps its state. Returns how
 * many windows it closed.
 */
export async function closeEmptyWindowsBefore(
  db: Queryable,
  key: { tenantId: string; stream: string },
  bounds: { fromEndMs: number; backfillStartMs: number; windowMs: number; beforeMs: number },
): Promise<number> {
  const rows: (WindowKey & { done: boolean })[] = [];
  for (let end = bounds.fromEndMs; end > bounds.backfillStartMs; end -= bounds.windowMs) {
    if (end > bounds.beforeMs) continue;
    rows.push({ ...key, windowStartMs: Math.max(bounds.backfillStartMs, end - bounds.windowMs), windowEndMs: end, done: true });
  }
  if (rows.length === 0) return 0;
  const closed = await db
    .insert(backfillWindows)
    .values(rows)
    .onConflictDoUpdate({
      target: [backfillWindows.tenantId, backfillWindows.stream, backfillWindows.windowStartMs],
      set: { done: true, updatedAt: new Date() },
      setWhere: sql`${backfillWindows.pages} = 0 and not ${backfillWindows.done}`,
    })
    .returning({ start: backfillWindows.windowStartMs });
  return closed.length;
}
