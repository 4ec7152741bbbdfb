import { Context } from '@temporalio/activity';
import { enterDeletingPhase, finishPurge, purgeSlice, stopTenantWorkflows } from '../integrations/tenant-purge.js';
import type { PurgeSliceResult } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

/** How long one purge activity deletes before it hands back to the workflow (which counts in its history). */
export const PURGE_SLICE_MS = 20_000;

/** The purge's first step: no schedule and no sync of the tenant runs any more. */
export async function stopTenantSyncs(deps: ActivityDeps, tenantId: string): Promise<void> {
  if (!deps.temporal) throw new Error('stopTenantSyncs needs a Temporal client in the activity dependencies');
  await stopTenantWorkflows(deps.temporal, tenantId);
  await enterDeletingPhase(deps.db, tenantId);
}

/** Bounded batches for up to PURGE_SLICE_MS, with a heartbeat after each (a dead worker shows within the heartbeat timeout). */
export async function purgeTenantDataSlice(deps: ActivityDeps, input: { tenantId: string; batchRows: number }): Promise<PurgeSliceResult> {
  const context = Context.current();
  return purgeSlice(deps.db, { ...input, sliceMs: PURGE_SLICE_MS }, (progress) => {
    context.heartbeat(progress);
    // Cancelled (the workflow was terminated) or the worker shuts down: stop between batches.
    if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason;
  });
}

export async function finishTenantPurge(deps: ActivityDeps, tenantId: string): Promise<void> {
  await finishPurge(deps.db, tenantId);
}
