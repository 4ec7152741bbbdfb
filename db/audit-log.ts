import { and, desc, eq, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { auditLog } from './schema.js';

export interface AuditEntry {
  keyId: string;
  keyName: string;
  tenantId: string | null;
  action: string;
  statusCode: number;
  requestId: string;
  note: string | null;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  at: string;
}

export async function recordAudit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values(entry);
}

/** Newest first; `before` is the id of the last row of the previous page (keyset, stable under inserts). */
export async function listAudit(
  db: Queryable,
  options: { tenantId?: string | undefined; before?: number | undefined; limit: number },
): Promise<{ entries: AuditRecord[]; next: number | undefined }> {
  const conditions: SQL[] = [];
  if (options.tenantId !== undefined) conditions.push(eq(auditLog.tenantId, options.tenantId));
  if (options.before !== undefined) conditions.push(lt(auditLog.id, options.before));
  const rows = await db
    .select()
    .from(auditLog)
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(options.limit + 1);
  const page = rows.slice(0, options.limit);
  const entries = page.map(({ at, ...row }) => ({ ...row, at: at.toISOString() }));
  return { entries, next: rows.length > options.limit ? page.at(-1)?.id : undefined };
}

/** Deletes rows older than the retention, in bounded batches so no long lock is held. Returns the count. */
export async function pruneAudit(db: Queryable, retentionDays: number, nowMs: number, batchSize = 5_000): Promise<number> {
  const cutoff = new Date(nowMs - retentionDays * 86_400_000);
  let deleted = 0;
  for (;;) {
    const doomed = db.select({ id: auditLog.id }).from(auditLog).where(lt(auditLog.at, cutoff)).limit(batchSize);
    const rows = await db.delete(auditLog).where(inArray(auditLog.id, doomed)).returning({ id: auditLog.id });
    deleted += rows.length;
    if (rows.length < batchSize) return deleted;
  }
}

/** For tests and the fuzzers: how many rows the trail holds. */
export async function countAudit(db: Queryable): Promise<number> {
  const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(auditLog);
  return row?.count ?? 0;
}
