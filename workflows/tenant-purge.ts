import { continueAsNew, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { purgeActivityOptions } from './activity-options.js';
import type { TenantPurgeInput, TenantPurgeResult } from './types.js';

const purge = proxyActivities<Activities>(purgeActivityOptions);

/**
 * Deletes everything stored for a tenant that was disconnected with purge (`duo-tenant-purge:{tenantId}`):
 * first its schedule and running syncs are stopped, then its rows go in bounded batches, each batch
 * one transaction with its count in the purge's progress record (Postgres), then the integration row
 * becomes a tombstone. Only counts pass through the history. A worker that dies mid-slice is replaced
 * by the activity's retry, which goes on with the next batch: deleting what is already gone deletes nothing.
 */
export async function tenantPurge(input: TenantPurgeInput): Promise<TenantPurgeResult> {
  const { tenantId, batchRows } = input;
  let rowsDeleted = input.rowsDeletedBefore ?? 0;
  if (input.rowsDeletedBefore === undefined) {
    await purge.stopTenantSyncs.executeWithOptions({ ...purgeActivityOptions, summary: 'Delete the schedule, cancel running syncs' }, [tenantId]);
  }
  for (;;) {
    const slice = await purge.purgeTenantDataSlice.executeWithOptions(
      { ...purgeActivityOptions, summary: `Delete rows, ${batchRows} per batch` },
      [{ tenantId, batchRows }],
    );
    rowsDeleted += slice.rowsDeleted;
    setCurrentDetails(`**rows deleted:** ${rowsDeleted}`);
    if (slice.done) break;
    // Thousands of slices for the largest tenants: a fresh history now and then keeps replay cheap.
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof tenantPurge>({ tenantId, batchRows, rowsDeletedBefore: rowsDeleted });
  }
  await purge.finishTenantPurge.executeWithOptions({ ...purgeActivityOptions, summary: 'Leave the tombstone' }, [tenantId]);
  return { rowsDeleted };
}
