import { eq, notInArray, sql } from 'drizzle-orm';
import type { Database } from './client.js';
import type { InitialSyncState, IntegrationStatus } from './integration-states.js';
import { backfillWindows, duoIntegrations, streamCheckpoints } from './schema.js';

/** What the per-tenant Prometheus gauges are built from, read at scrape time. */

export interface TenantGaugeRow {
  tenantId: string;
  status: IntegrationStatus;
  initialSyncState: InitialSyncState;
  anchorAt: Date;
  backfillStartAt: Date;
  /** Done day windows of the auth backfill; only counted while the initial sync runs. */
  windowsDone: number | null;
  /** Streams the tenant's settings switch on (auth always). */
  enabledStreams: string[];
}

export interface CheckpointGaugeRow {
  tenantId: string;
  stream: string;
  syncedThroughMs: number;
}

/** Connected tenants and their incremental checkpoints: two queries whatever the tenant count. */
export async function readTenantGaugeRows(db: Database): Promise<{ tenants: TenantGaugeRow[]; checkpoints: CheckpointGaugeRow[] }> {
  const connected = notInArray(duoIntegrations.status, ['disconnected', 'purging']);
  const [integrations, checkpoints] = await Promise.all([
    db
      .select({
        tenantId: duoIntegrations.tenantId,
        status: duoIntegrations.status,
        initialSyncState: duoIntegrations.initialSyncState,
        anchorAt: duoIntegrations.anchorAt,
        backfillStartAt: duoIntegrations.backfillStartAt,
        settings: duoIntegrations.settings,
        windowsDone: sql<number | null>`case when ${duoIntegrations.initialSyncState} = 'running' then (
          select count(*)::int from ${backfillWindows}
          where ${backfillWindows.tenantId} = ${duoIntegrations.tenantId} and ${backfillWindows.stream} = 'auth' and ${backfillWindows.done}
        ) end`,
      })
      .from(duoIntegrations)
      .where(connected),
    db
      .select({ tenantId: streamCheckpoints.tenantId, stream: streamCheckpoints.stream, syncedThroughMs: streamCheckpoints.syncedThroughMs })
      .from(streamCheckpoints)
      .innerJoin(duoIntegrations, eq(duoIntegrations.tenantId, streamCheckpoints.tenantId))
      .where(connected),
  ]);
  return {
    tenants: integrations.map(({ settings, windowsDone, ...row }) => ({
      ...row,
      windowsDone: windowsDone === null ? null : Number(windowsDone),
      enabledStreams: ['auth', ...Object.entries(settings.streams ?? {}).filter(([, on]) => on === true).map(([stream]) => stream)],
    })),
    checkpoints: checkpoints.map((row) => ({ ...row, syncedThroughMs: Number(row.syncedThroughMs) })),
  };
}
