import type { Sql } from 'postgres';
import type { Queryable } from '../../db/client.js';
import { enterDeletingPhase, finishPurge, purgeSlice } from '../../integrations/tenant-purge.js';

/**
 * Rows the tenant still has in every table keyed by tenant (partitions counted through their parent),
 * except its tombstone and purge record, the API keys bound to it, the audit trail and the erasure
 * markers (kept by design,
 * docs/OPERATIONS.md): empty after a purge. Read from the catalogue, so a table
 * added later cannot be forgotten.
 */
export async function rowsLeftOfTenant(sql: Sql, tenantId: string): Promise<Record<string, number>> {
  const tables = await sql<{ table_name: string }[]>`
    select c.table_name from information_schema.columns c
    join pg_class t on t.relname = c.table_name and t.relnamespace = 'public'::regnamespace
    where c.table_schema = 'public' and c.column_name = 'tenant_id' and not t.relispartition
      and c.table_name not in ('tenants', 'duo_integrations', 'tenant_purges', 'api_keys', 'audit_log', 'duo_user_erasures')`;
  const left: Record<string, number> = {};
  for (const { table_name: table } of tables) {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(table)} where tenant_id = ${tenantId}`;
    if (row?.n) left[table] = row.n;
  }
  return left;
}

/**
 * What a purge's batches delete and count, per table: every row of the tenant, except the per-month
 * event counters (duo_event_months), which go with the last event of their month.
 */
export async function rowsDeletedByBatches(sql: Sql, tenantId: string): Promise<Record<string, number>> {
  const { duo_event_months: _months, ...rows } = await rowsLeftOfTenant(sql, tenantId);
  return rows;
}

/**
 * The purge workflow's steps run here, for tests of what follows a purge in files without a worker
 * (the workflow itself is tested in test/e2e/tenant-purge*.test.ts).
 */
export async function purgeWithoutWorker(db: Queryable, tenantId: string): Promise<void> {
  await enterDeletingPhase(db, tenantId);
  while (!(await purgeSlice(db, { tenantId, batchRows: 1000, sliceMs: 60_000 })).done);
  await finishPurge(db, tenantId);
}
