import { markInitialSyncCompleted, markNeedsAttention, setInitialSyncPhase, setInitialSyncRun } from '../db/integrations.js';
import { finishSyncRun, startSyncRun } from '../db/sync-runs.js';
import type { FailureNote, InitialSyncPhase, RunRef, SyncTotals } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

/** Bookkeeping of the initial sync in Postgres, so the status API needs no workflow query. */

export async function beginInitialSync(deps: ActivityDeps, run: RunRef): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await startSyncRun(tx, { ...run, kind: 'initial' });
    await setInitialSyncRun(tx, run.tenantId, run.runId);
  });
}

export async function recordInitialSyncPhase(deps: ActivityDeps, tenantId: string, phase: InitialSyncPhase): Promise<void> {
  await setInitialSyncPhase(deps.db, tenantId, phase);
}

export async function completeInitialSync(deps: ActivityDeps, run: RunRef, totals: SyncTotals): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await markInitialSyncCompleted(tx, run.tenantId);
    await finishSyncRun(tx, run, { outcome: 'completed', counts: { ...totals } });
  });
}

/** A failure the customer must fix: status needs_attention with the reason; all synced data stays. */
export async function failInitialSync(deps: ActivityDeps, run: RunRef, failure: FailureNote, totals: SyncTotals): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await markNeedsAttention(tx, run.tenantId, failure, { initialSyncFailed: true });
    await finishSyncRun(tx, run, { outcome: 'failed', counts: { ...totals }, error: failure });
  });
}

/** A run cancelled by a disconnect: recorded as such, so the run log never shows it running forever. */
export async function recordRunCancelled(deps: ActivityDeps, run: RunRef, counts: Record<string, number>): Promise<void> {
  await finishSyncRun(deps.db, run, { outcome: 'cancelled', counts });
}
