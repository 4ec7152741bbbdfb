import type { Client } from '@temporalio/client';
import type { Config } from '../config/config.js';
import type { Database } from '../db/client.js';
import {
  getBackfillProgress,
  getTenantCounts,
  requireIntegration,
  type BackfillProgress,
  type IntegrationRow,
  type TenantCounts,
} from '../db/integrations.js';
import { listStreamCheckpoints } from '../db/stream-checkpoints.js';
import { BACKFILL_WINDOW_MS } from '../workflows/definitions.js';
import type { InitialSyncProgress } from '../workflows/types.js';
import { type IntegrationStatusDocument } from './status-document.js';
import { composeSyncStatus, readScheduleState, type CheckpointView, type SyncStatusRow } from './sync-status.js';
import type { RetentionDefaults } from './retention-policy.js';
import type { ScheduleState } from './schedules.js';
import { queryInitialSyncProgress } from './temporal.js';

/** A status read must stay fast when no worker answers the query; Postgres is the fallback. */
export const LIVE_PROGRESS_TIMEOUT_MS = 1_000;

export interface StatusDeps {
  db: Database;
  temporal: Client;
  config: Pick<Config, 'SYNC_INTERVAL_MINUTES' | 'EVENT_RETENTION_DAYS' | 'ROLLUP_RETENTION_DAYS'>;
  now?: () => number;
}

export interface StatusOptions {
  /**
   * Ask Temporal too: the running workflow for its phase, the schedule for its next run (both with a
   * 1 s deadline). The lifecycle routes do, to show what Temporal now holds; the status route only
   * when the caller asks (`?live=true`), so polling status never puts Temporal on its path.
   */
  live?: boolean;
}

/** The tenant's status document, or TENANT_NOT_FOUND. Never contains the secret key. */
export async function getIntegrationStatus(
  deps: StatusDeps,
  tenantId: string,
  options: StatusOptions = {},
): Promise<IntegrationStatusDocument> {
  const row = await requireIntegration(deps.db, tenantId);
  const live = options.live !== false;
  // Temporal is asked in parallel with Postgres, so its deadline bounds the whole read.
  const [counts, checkpoints, backfill, progress, schedule] = await Promise.all([
    getTenantCounts(deps.db, tenantId),
    listStreamCheckpoints(deps.db, tenantId),
    getBackfillProgress(deps.db, tenantId),
    live && row.initialSyncState === 'running' ? readLiveProgress(deps.temporal, tenantId) : undefined,
    // A disconnected tenant has no schedule to describe.
    live && row.status !== 'disconnected' ? readScheduleState(deps.temporal, tenantId) : undefined,
  ]);
  return composeIntegrationStatus({
    row,
    counts,
    checkpoints,
    backfill,
    progress,
    schedule,
    defaultIntervalMinutes: deps.config.SYNC_INTERVAL_MINUTES,
    defaultRetention: { eventDays: deps.config.EVENT_RETENTION_DAYS, rollupDays: deps.config.ROLLUP_RETENTION_DAYS },
    nowMs: deps.now?.() ?? Date.now(),
  });
}

async function readLiveProgress(temporal: Client, tenantId: string): Promise<InitialSyncProgress | undefined> {
  return temporal.connection.withDeadline(Date.now() + LIVE_PROGRESS_TIMEOUT_MS, () => queryInitialSyncProgress(temporal, tenantId));
}

/** The integration columns the document shows (the sealed secret is not among them). */
export type StatusRow = SyncStatusRow &
  Pick<
  IntegrationRow,
  | 'tenantId'
  | 'apiHost'
  | 'integrationKey'
  | 'status'
  | 'lastErrorCode'
  | 'lastErrorMessage'
  | 'anchorAt'
  | 'backfillStartAt'
  | 'initialSyncWorkflowId'
  | 'initialSyncRunId'
  | 'initialSyncState'
  | 'initialSyncPhase'
  | 'initialSyncStartedAt'
  | 'initialSyncCompletedAt'
  | 'connectedAt'
  >;

export interface StatusInputs {
  row: StatusRow;
  counts: TenantCounts;
  /** Every stream's checkpoint row; the auth one also dates the initial sync's oldest and newest events. */
  checkpoints: (CheckpointView & { oldestEventAt: Date | null })[];
  backfill: BackfillProgress;
  progress: InitialSyncProgress | undefined;
  schedule: ScheduleState | undefined;
  defaultIntervalMinutes: number;
  defaultRetention: RetentionDefaults;
  nowMs: number;
}

/** Pure: the status document from what Postgres (and, when running, the workflow) report. */
export function composeIntegrationStatus(input: StatusInputs): IntegrationStatusDocument {
  const { row, counts, checkpoints, backfill, progress, nowMs } = input;
  const checkpoint = checkpoints.find((candidate) => candidate.stream === 'auth');
  const state = row.initialSyncState;
  // The workflow knows its phase before Postgres does; once it ended, Postgres has the last word.
  const phase = state === 'running' && progress ? progress.phase : row.initialSyncPhase;
  const windowsTotal = countBackfillWindows(row.anchorAt.getTime(), row.backfillStartAt.getTime());
  const windowsDone = Math.min(windowsTotal, Math.max(backfill.windowsDone, progress?.totals.windowsDone ?? 0));
  return {
    tenantId: row.tenantId,
    status: row.status,
    apiHost: row.apiHost,
    integrationKey: maskIntegrationKey(row.integrationKey),
    connectedAt: row.connectedAt.toISOString(),
    anchorAt: row.anchorAt.toISOString(),
    initialSync: {
      state,
      phase,
      workflowId: row.initialSyncWorkflowId,
      runId: row.initialSyncRunId,
      oldestEventAt: iso(checkpoint?.oldestEventAt),
      newestEventAt: iso(checkpoint?.newestEventAt),
      startedAt: row.initialSyncStartedAt.toISOString(),
      completedAt: iso(row.initialSyncCompletedAt),
      estimatedCompletionAt:
        state === 'running'
          ? iso(estimateCompletion({
              startedAtMs: row.initialSyncStartedAt.getTime(),
              nowMs,
              windowsDone,
              windowsTotal,
              windowsDoneSinceStart: backfill.windowsDoneSinceStart,
            }))
          : null,
      backfill: {
        windowsDone,
        windowsTotal,
        startAt: row.backfillStartAt.toISOString(),
        reachedBackAt: iso(reachedBack(backfill, progress)),
      },
      progressSource: progress ? 'workflow' : 'database',
    },
    counts,
    // As stored: the spelling operators see as the failure type in the Temporal UI and in logs.
    lastError: row.lastErrorCode ? { code: row.lastErrorCode, message: row.lastErrorMessage ?? '' } : null,
    ...composeSyncStatus(input),
  };
}

/** `DIWXYZ…` → `DI…WXYZ`: enough to recognise the key, not enough to matter if the page leaks. */
export function maskIntegrationKey(key: string): string {
  if (key.length <= 6) return '…';
  return `${key.slice(0, 2)}…${key.slice(-4)}`;
}

/** One-day windows from the backfill start up to the anchor; a partial day still takes one window. */
export function countBackfillWindows(anchorMs: number, backfillStartMs: number): number {
  return Math.max(0, Math.ceil((anchorMs - backfillStartMs) / BACKFILL_WINDOW_MS));
}

/**
 * Linear extrapolation from the windows done so far: the elapsed time per window (roster included)
 * times the windows left. After a restart the speed is measured by the windows done since the start
 * (`windowsDoneSinceStart`), not by those an earlier run did. Unknown (null) before the first window is done.
 */
export function estimateCompletion(input: {
  startedAtMs: number;
  nowMs: number;
  windowsDone: number;
  windowsTotal: number;
  windowsDoneSinceStart?: number;
}): Date | null {
  const { startedAtMs, nowMs, windowsDone, windowsTotal } = input;
  const measured = Math.min(windowsDone, input.windowsDoneSinceStart ?? windowsDone);
  if (measured <= 0 || windowsTotal <= 0) return null;
  const remaining = Math.max(0, windowsTotal - windowsDone);
  const perWindowMs = Math.max(0, nowMs - startedAtMs) / measured;
  return new Date(nowMs + Math.round(perWindowMs * remaining));
}

function reachedBack(backfill: BackfillProgress, progress: InitialSyncProgress | undefined): Date | null {
  const candidates = [backfill.oldestDoneWindowStartMs, progress?.reachedBackMs ?? null].filter((ms): ms is number => ms !== null);
  return candidates.length === 0 ? null : new Date(Math.min(...candidates));
}

function iso(value: Date | null | undefined): string | null {
  return value ? value.toISOString() : null;
}
