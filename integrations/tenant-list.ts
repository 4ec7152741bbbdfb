import type { Queryable } from '../db/client.js';
import type { InitialSyncPhase, IntegrationStatus } from '../db/integration-states.js';
import { listTenantRows, type TenantListRow } from '../db/tenant-list.js';
import { countBackfillWindows } from './status.js';

/** One tenant in GET /v1/tenants: enough to find the ones that need someone, from Postgres alone. */
export interface TenantSummary {
  tenantId: string;
  status: IntegrationStatus;
  /** The initial sync's phase while it has not completed; null once it has. */
  phase: InitialSyncPhase | null;
  initialSync: { daysDone: number; daysTotal: number; eventsSynced: number } | null;
  lastRunAt: string | null;
  lagSeconds: number | null;
  lastError: { code: string; message: string; at: string } | null;
}

export interface TenantPage {
  tenants: TenantSummary[];
  /** Tenant id the next page starts after; undefined on the last page. */
  nextAfter: string | undefined;
}

export async function listTenants(
  db: Queryable,
  query: { statuses: readonly IntegrationStatus[]; afterTenantId?: string; limit: number },
  nowMs: number,
): Promise<TenantPage> {
  const rows = await listTenantRows(db, query);
  const page = rows.slice(0, query.limit);
  return {
    tenants: page.map((row) => summarizeTenant(row, nowMs)),
    nextAfter: rows.length > query.limit ? page.at(-1)?.tenantId : undefined,
  };
}

/** Pure: the list entry of one row (same lag and window arithmetic as the status document). */
export function summarizeTenant(row: TenantListRow, nowMs: number): TenantSummary {
  const completed = row.initialSyncState === 'completed';
  const daysTotal = countBackfillWindows(row.anchorAt.getTime(), row.backfillStartAt.getTime());
  return {
    tenantId: row.tenantId,
    status: row.status,
    phase: completed ? null : row.initialSyncPhase,
    initialSync: completed
      ? null
      : { daysDone: Math.min(daysTotal, row.windowsDone ?? 0), daysTotal, eventsSynced: row.authEventCount },
    lastRunAt: row.lastRunAt ? row.lastRunAt.toISOString() : null,
    lagSeconds: row.newestAuthEventAt ? Math.max(0, Math.floor((nowMs - row.newestAuthEventAt.getTime()) / 1000)) : null,
    lastError: row.lastErrorCode
      ? // Every error is recorded with its time (older ones were given their row's last change by the migration).
        { code: row.lastErrorCode, message: row.lastErrorMessage ?? '', at: (row.lastErrorAt ?? new Date(nowMs)).toISOString() }
      : null,
  };
}
