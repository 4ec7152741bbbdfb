import { setInitialSyncRun } from '../db/integrations.js';
import { finishSyncRun, startSyncRun } from '../db/sync-runs.js';
import { transition } from '../integrations/transitions.js';
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
  await transition.recordPhase(deps.db, tenantId, phase);
}

export async function completeInitialSync(deps: ActivityDeps, run: RunRef, totals: SyncTotals): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await transition.completeInitialSync(tx, run.tenantId);
    await finishSyncRun(tx, run, { outcome: 'completed', counts: { ...totals } });
  });
}

/** A failure the customer must fix: status needs_attention with the reason; all synced data stays. */
export async function failInitialSync(deps: ActivityDeps, run: RunRef, failure: FailureNote, totals: SyncTotals): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await transition.failInitialSync(tx, run.tenantId, failure);
    await finishSyncRun(tx, run, { outcome: 'failed', counts: { ...totals }, error: failure });
  });
}

/** A run cancelled by a disconnect: recorded as such, so the run log never shows it running forever. */
export async function recordRunCancelled(deps: ActivityDeps, run: RunRef, counts: Record<string, number>): Promise<void> {
  await finishSyncRun(deps.db, run, { outcome: 'cancelled', counts });
}
