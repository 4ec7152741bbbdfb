import { and, asc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import type { Queryable } from './client.js';
import type { IntegrationStatus } from './integration-states.js';
import { backfillWindows, duoIntegrations, streamCheckpoints } from './schema.js';

/** One integration as the tenant list shows it: what Postgres alone knows, no Temporal call. */
export interface TenantListRow {
  tenantId: string;
  status: IntegrationStatus;
  initialSyncState: (typeof duoIntegrations.$inferSelect)['initialSyncState'];
  initialSyncPhase: (typeof duoIntegrations.$inferSelect)['initialSyncPhase'];
  anchorAt: Date;
  backfillStartAt: Date;
  /** Day windows of the initial backfill done; null once the initial sync completed (not read then). */
  windowsDone: number | null;
  authEventCount: number;
  newestAuthEventAt: Date | null;
  lastRunAt: Date | null;
  lastErrorCode: string | null;
  lastErrorMessage: string | null;
  lastErrorAt: Date | null;
}

export interface TenantListQuery {
  /** Any of these; empty: every status. */
  statuses: readonly IntegrationStatus[];
  /** Keyset: tenants after this id, in tenant id order. */
  afterTenantId?: string;
  limit: number;
}

/**
 * A page of integrations in tenant id order, with one more row than `limit` when another page follows.
 * One statement: the primary key (or the status + tenant index) bounds it to the page, and each row's
 * auth checkpoint and done windows are primary-key lookups.
 */
export async function listTenantRows(db: Queryable, query: TenantListQuery): Promise<TenantListRow[]> {
  const conditions: SQL[] = [];
  if (query.statuses.length > 0) conditions.push(inArray(duoIntegrations.status, [...query.statuses]));
  if (query.afterTenantId !== undefined) conditions.push(gt(duoIntegrations.tenantId, query.afterTenantId));
  const i = duoIntegrations;
  const rows = await db
    .select({
      tenantId: i.tenantId,
      status: i.status,
      initialSyncState: i.initialSyncState,
      initialSyncPhase: i.initialSyncPhase,
      anchorAt: i.anchorAt,
      backfillStartAt: i.backfillStartAt,
      windowsDone: sql<number | null>`case when ${i.initialSyncState} = 'completed' then null else (
        select count(*)::int from ${backfillWindows}
        where ${backfillWindows.tenantId} = ${i.tenantId} and ${backfillWindows.stream} = 'auth' and ${backfillWindows.done}) end`,
      authEventCount: sql<number>`coalesce(${streamCheckpoints.eventCount}, 0)`.mapWith(Number),
      newestAuthEventAt: streamCheckpoints.newestEventAt,
      lastRunAt: i.lastRunAt,
      lastErrorCode: i.lastErrorCode,
      lastErrorMessage: i.lastErrorMessage,
      lastErrorAt: i.lastErrorAt,
    })
    .from(i)
    .leftJoin(streamCheckpoints, and(eq(streamCheckpoints.tenantId, i.tenantId), eq(streamCheckpoints.stream, 'auth')))
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(asc(i.tenantId))
    .limit(query.limit + 1);
  return rows;
}
