import { sql } from 'drizzle-orm';
import type { Config } from '../config/config.js';
import type { Queryable } from '../db/client.js';
import { deleteEventsBatch, deleteRollupsBatch, dropEventPartition } from '../db/data-deletion.js';
import { ensureEventPartitions, eventTables, listEventPartitions, MONTHS_AHEAD, monthStart } from '../db/event-partitions.js';
import type { IntegrationSettings } from '../db/schema.js';
import { retentionCutoffMs, retentionInEffect } from './retention-policy.js';

/**
 * The worker's storage pass (at start and on every reconciliation interval): event partitions ahead
 * of need, then retention.
 *
 * Month partitions are shared by every tenant, so a month is dropped whole only once it is past the
 * longest retention any tenant has (the service default or a longer tenant setting). A tenant whose
 * retention is shorter loses its rows between the two in batches of `batchRows`, oldest first, at
 * most `maxBatches` per table and pass, so one pass stays short and the next goes on. Daily rollups
 * go the same way after their own, longer retention.
 */
export interface RetentionReport {
  createdPartitions: string[];
  droppedPartitions: string[];
  deletedEvents: number;
  deletedRollupRows: number;
}

export interface RetentionOptions {
  batchRows: number;
  maxBatches: number;
}

const DAY_MS = 86_400_000;
/** Duo serves 180 days of logs; a backfill may store any of them, and a month more covers month edges. */
const PARTITIONS_BEHIND_MS = (180 + 31) * DAY_MS;

export async function maintainEventStorage(
  db: Queryable,
  config: Pick<Config, 'EVENT_RETENTION_DAYS' | 'ROLLUP_RETENTION_DAYS'>,
  nowMs: number,
  options: RetentionOptions = { batchRows: 5_000, maxBatches: 20 },
): Promise<RetentionReport> {
  const aheadMs = Date.UTC(new Date(nowMs).getUTCFullYear(), new Date(nowMs).getUTCMonth() + MONTHS_AHEAD, 1);
  const createdPartitions = await ensureEventPartitions(db, nowMs - PARTITIONS_BEHIND_MS, aheadMs, undefined, { recheck: true });
  const defaults = { eventDays: config.EVENT_RETENTION_DAYS, rollupDays: config.ROLLUP_RETENTION_DAYS };
  const tenants = (await db.execute<{ tenant_id: string; settings: IntegrationSettings }>(sql`select tenant_id, settings from duo_integrations`)).map((row) => ({
    tenantId: row.tenant_id,
    retention: retentionInEffect(row.settings, defaults),
  }));
  const longestDays = Math.max(defaults.eventDays, ...tenants.map((t) => t.retention.eventDays));

  // Whole months: every row of the month is past the longest retention.
  const partitionCutoffMs = retentionCutoffMs(nowMs, longestDays);
  const droppedPartitions: string[] = [];
  for (const partition of await listEventPartitions(db)) {
    const monthEndMs = monthStart(Date.parse(`${partition.month}T00:00:00Z`) + 31 * DAY_MS);
    if (monthEndMs > partitionCutoffMs) continue;
    await dropEventPartition(db, partition);
    droppedPartitions.push(partition.partition);
  }

  // Per tenant and stream, the oldest row held (from the ingest-maintained months): only those
  // older than their tenant's cut-off have anything to delete.
  const oldest = new Map<string, number>();
  for (const row of await db.execute<{ tenant_id: string; stream: string; oldest_at: string }>(sql`
    select tenant_id, stream, min(oldest_at) as oldest_at from duo_event_months group by 1, 2`)) {
    oldest.set(`${row.tenant_id}\n${row.stream}`, Date.parse(row.oldest_at));
  }

  let deletedEvents = 0;
  let deletedRollupRows = 0;
  for (const { tenantId, retention } of tenants) {
    if (retention.eventDays < longestDays) {
      const cutoffMs = retentionCutoffMs(nowMs, retention.eventDays);
      const before = new Date(cutoffMs).toISOString();
      for (const { table, stream } of eventTables) {
        if (!((oldest.get(`${tenantId}\n${stream}`) ?? Number.POSITIVE_INFINITY) < cutoffMs)) continue;
        for (let batch = 0; batch < options.maxBatches; batch++) {
          const deleted = await deleteEventsBatch(db, table, { tenantId, before }, options.batchRows);
          deletedEvents += deleted;
          if (deleted < options.batchRows) break;
        }
      }
    }
    const beforeDay = new Date(retentionCutoffMs(nowMs, retention.rollupDays)).toISOString().slice(0, 10);
    for (let batch = 0; batch < options.maxBatches; batch++) {
      const deleted = await deleteRollupsBatch(db, tenantId, beforeDay, options.batchRows);
      deletedRollupRows += deleted;
      if (deleted === 0) break;
    }
  }
  return { createdPartitions, droppedPartitions, deletedEvents, deletedRollupRows };
}
