import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { rosterMalformedPages } from './schema.js';

/**
 * The roster rescans from its first page on every attempt, so its streak of malformed answers is
 * kept per position ("users offset 600"), not per attempt: pages before the position are stored
 * again on every attempt and must not end it.
 */

/** Counts one more malformed answer at `position` and returns how many came in a row there. */
export async function recordMalformedRosterPage(db: Queryable, tenantId: string, position: string): Promise<number> {
  const [row] = await db
    .insert(rosterMalformedPages)
    .values({ tenantId, malformedStreak: 1, malformedAt: position })
    .onConflictDoUpdate({
      target: rosterMalformedPages.tenantId,
      set: {
        malformedStreak: sql`case when ${rosterMalformedPages.malformedAt} = ${position} then ${rosterMalformedPages.malformedStreak} + 1 else 1 end`,
        malformedAt: position,
        updatedAt: new Date(),
      },
    })
    .returning({ streak: rosterMalformedPages.malformedStreak });
  return row?.streak ?? 1;
}

/** The page at `position` was stored: a streak recorded there is over. */
export async function clearMalformedRosterPage(db: Queryable, tenantId: string, position: string): Promise<void> {
  await db
    .delete(rosterMalformedPages)
    .where(and(eq(rosterMalformedPages.tenantId, tenantId), eq(rosterMalformedPages.malformedAt, position)));
}
