import { eq, sql } from 'drizzle-orm';
import type { PurgePhase } from './integration-states.js';
import type { Queryable } from './client.js';
import { purgeTenantDataBatch } from './data-deletion.js';
import { tenantPurges } from './schema.js';

export type TenantPurgeRow = typeof tenantPurges.$inferSelect;

/** A new purge of the tenant: its progress starts from zero (a former purge's record is replaced). */
export async function startPurgeRecord(db: Queryable, tenantId: string, workflowId: string): Promise<void> {
  const fresh = { tenantId, workflowId, phase: 'stopping' as const, deleted: {}, rowsDeleted: 0, startedAt: new Date(), updatedAt: new Date(), completedAt: null };
  await db.insert(tenantPurges).values(fresh).onConflictDoUpdate({ target: tenantPurges.tenantId, set: fresh });
}

export async function setPurgePhase(db: Queryable, tenantId: string, phase: PurgePhase): Promise<void> {
  await db
    .update(tenantPurges)
    .set({ phase, updatedAt: new Date(), ...(phase === 'done' ? { completedAt: new Date() } : {}) })
    .where(eq(tenantPurges.tenantId, tenantId));
}

export async function findPurge(db: Queryable, tenantId: string): Promise<TenantPurgeRow | undefined> {
  const [row] = await db.select().from(tenantPurges).where(eq(tenantPurges.tenantId, tenantId));
  return row;
}

/**
 * One bounded batch of the purge (purgeTenantDataBatch) and its count in the progress record, in one
 * transaction: a batch either happened and is counted or neither, so a purge interrupted anywhere and
 * run again counts every row exactly once. Null once nothing of the tenant is left.
 */
export async function purgeBatchWithProgress(db: Queryable, tenantId: string, limit: number): Promise<{ table: string; deleted: number } | null> {
  return db.transaction(async (tx) => {
    const step = await purgeTenantDataBatch(tx, tenantId, limit);
    if (!step) return null;
    await tx.execute(sql`
      update tenant_purges set
        deleted = jsonb_set(deleted, array[${step.table}], to_jsonb(coalesce((deleted ->> ${step.table})::bigint, 0) + ${step.deleted})),
        rows_deleted = rows_deleted + ${step.deleted},
        updated_at = now()
      where tenant_id = ${tenantId}`);
    return step;
  });
}
