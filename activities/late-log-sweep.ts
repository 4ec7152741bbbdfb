import { Context } from '@temporalio/activity';
import { storeAuthEvents } from '../db/auth-events.js';
import { ensurePartitionsForRows } from '../db/event-partitions.js';
import { requireIntegration } from '../db/integrations.js';
import { advanceSweep, completeSweep, findLateLogSweep, isSweepDue, pinSweepWindow } from '../db/late-log-sweeps.js';
import { findStreamCheckpoint } from '../db/stream-checkpoints.js';
import { runStartedAt } from '../db/sync-runs.js';
import { DUO_MAX_LOG_AGE_MS } from '../duo/client.js';
import { recordEventsIngested, recordLateEventsFound } from '../observability/metrics.js';
import type { ActivityDeps } from './deps.js';
import { toAuthEventRecord } from './duo-records.js';
import { RUN_PAGING_BUDGET_MS } from './sync-log-increment.js';
import { loadDuoClient, unlessCredentialsRotated } from './tenant-connection.js';
import { SyncPausedError } from '../errors/integration-errors.js';

export interface LateLogSweepResult {
  /** Whether a sweep was due and ran (in part or whole) in this call. */
  swept: boolean;
  /** Events stored that the incremental sync had not seen: Duo published them late. */
  found: number;
  pages: number;
  /** The pinned window is fully read (false: the run's paging budget ran out; the next run resumes). */
  complete: boolean;
}

/**
 * The late-arrival sweep: when due (LATE_LOG_SWEEP_MINUTES since the tenant's last one), re-reads the
 * authentication logs of the LATE_LOG_LOOKBACK_HOURS behind the auth checkpoint. Duo has published
 * logs hours after the events during incidents; the incremental sync never looks behind its
 * checkpoint, so those events would be missed for good. Rows are stored through the same statement as
 * every page (natural keys: only new rows insert, and only they are folded into the rollups and
 * users' last activity), so what it stores is exactly what arrived late. The window is pinned with its
 * cursor in Postgres, like every other read, so a retry resumes at its last page.
 */
export async function sweepLateLogs(deps: ActivityDeps, input: { tenantId: string }): Promise<LateLogSweepResult> {
  const { tenantId } = input;
  const idle: LateLogSweepResult = { swept: false, found: 0, pages: 0, complete: true };
  const everyMs = deps.config.LATE_LOG_SWEEP_MINUTES * 60_000;
  const now = Date.now();
  if (!isSweepDue(await findLateLogSweep(deps.db, tenantId), now, everyMs)) return idle;
  const checkpoint = await findStreamCheckpoint(deps.db, tenantId, 'auth');
  if (!checkpoint) return idle;

  const earliestServedMs = now - DUO_MAX_LOG_AGE_MS + 60_000;
  const pinned = await pinSweepWindow(deps.db, tenantId, {
    windowStartMs: Math.max(checkpoint.syncedThroughMs - deps.config.LATE_LOG_LOOKBACK_HOURS * 3_600_000, earliestServedMs),
    windowEndMs: checkpoint.syncedThroughMs,
  });
  const startMs = Math.max(pinned.windowStartMs, earliestServedMs);
  if (pinned.windowEndMs <= startMs) {
    const { found } = await completeSweep(deps.db, tenantId, new Date());
    return { swept: true, found, pages: 0, complete: true };
  }

  const context = Context.current();
  const progress = { found: 0, pages: 0 };
  const beat = () => context.heartbeat({ ...progress });
  const { duo, builtFrom } = await loadDuoClient(deps, tenantId, { onBudgetWait: beat });
  const execution = context.info.workflowExecution;
  const runStart = execution ? await runStartedAt(deps.db, execution.workflowId, execution.runId) : null;
  const budgetSpent = () => runStart !== null && Date.now() - runStart.getTime() >= RUN_PAGING_BUDGET_MS;
  beat();
  try {
    const pages = duo.authLogPages({ mintimeMs: startMs, maxtimeMs: pinned.windowEndMs, cursor: pinned.cursor, signal: context.cancellationSignal });
    for await (const page of pages) {
      const records = page.items.map(toAuthEventRecord);
      await ensurePartitionsForRows(deps.db, 'duo_auth_events', records.map((r) => r.occurredAt));
      const inserted = await deps.db.transaction(async (tx) => {
        await requireIntegration(tx, tenantId, { connected: true, lock: 'share' });
        const stored = await storeAuthEvents(tx, tenantId, records);
        await advanceSweep(tx, tenantId, { cursor: page.next, found: stored.inserted });
        return stored.inserted;
      });
      recordEventsIngested('auth', inserted);
      recordLateEventsFound(inserted);
      progress.found += inserted;
      progress.pages += 1;
      beat();
      if (page.next !== null && budgetSpent()) return { swept: true, ...progress, complete: false };
    }
  } catch (error) {
    // Paused before the next page: the window stays pinned with its cursor for the next sweep.
    if (error instanceof SyncPausedError) return { swept: true, ...progress, complete: false };
    throw await unlessCredentialsRotated(deps, tenantId, builtFrom, error);
  }
  await completeSweep(deps.db, tenantId, new Date());
  return { swept: true, ...progress, complete: true };
}
