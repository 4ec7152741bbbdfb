import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../config/config.js';
import type { Queryable } from '../db/client.js';
import { purgeBatchWithProgress, setPurgePhase, startPurgeRecord } from '../db/tenant-purges.js';
import { tenantIdSearchAttribute, tenantPurgeWorkflowId } from '../workflows/definitions.js';
import type { tenantPurge } from '../workflows/tenant-purge.js';
import type { PurgeSliceResult } from '../workflows/types.js';
import { deleteIncrementalSchedule } from './schedules.js';
import { START_DEADLINE_MS } from './temporal.js';
import { lifecycleStateOf, transition } from './transitions.js';
import { findIntegration } from '../db/integrations.js';

/**
 * Purging a tenant: the request stores `purging` and starts the purge workflow
 * (workflows/tenant-purge.ts), whose activities call the functions below. Postgres says a purge is
 * wanted before Temporal hears of it; a request that could not start the workflow is repeated by the
 * caller (the same DELETE: idempotent) and finds the purge stored and starts it.
 */

/** Stores the purge (erasing the keys like a disconnect); true unless the tenant is already purged. */
export async function requestPurge(db: Queryable, tenantId: string): Promise<boolean> {
  await transition.beginPurge(db, tenantId, (tx) => startPurgeRecord(tx, tenantId, tenantPurgeWorkflowId(tenantId)));
  return lifecycleStateOf(await findIntegration(db, tenantId)) === 'purging';
}

/** Starts the purge workflow, or finds the one already running (conflict policy USE_EXISTING). */
export async function startTenantPurge(client: Client, config: Pick<Config, 'TEMPORAL_TASK_QUEUE' | 'PURGE_BATCH_ROWS'>, tenantId: string): Promise<string> {
  const workflowId = tenantPurgeWorkflowId(tenantId);
  await client.connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
    client.workflow.start<typeof tenantPurge>('tenantPurge', {
      workflowId,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [{ tenantId, batchRows: config.PURGE_BATCH_ROWS }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: tenantIdSearchAttribute, value: tenantId }],
      staticSummary: `Purge · tenant ${tenantId}`,
      staticDetails: `Stop the schedule and syncs, then delete every stored row of the tenant, ${config.PURGE_BATCH_ROWS} per transaction.`,
    }),
  );
  return workflowId;
}

/**
 * Deletes the tenant's schedule and cancels its running workflows (all but the purge itself). A sync
 * page still in flight cannot write after this: every page transaction takes a share lock on the
 * integration row and needs it connected, and `purging` is not.
 */
export async function stopTenantWorkflows(client: Client, tenantId: string): Promise<void> {
  await deleteIncrementalSchedule(client, tenantId);
  for await (const execution of client.workflow.list({ query: `TenantId = "${tenantId}" AND ExecutionStatus = "Running"` })) {
    if (execution.workflowId === tenantPurgeWorkflowId(tenantId)) continue;
    try {
      await client.workflow.getHandle(execution.workflowId, execution.runId).cancel();
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }
}

export async function enterDeletingPhase(db: Queryable, tenantId: string): Promise<void> {
  await setPurgePhase(db, tenantId, 'deleting');
}

/**
 * Batches until nothing is left or `sliceMs` has passed; `afterBatch` runs after each (the
 * activity's heartbeat). Each batch commits with its count, so stopping anywhere loses nothing.
 */
export async function purgeSlice(
  db: Queryable,
  input: { tenantId: string; batchRows: number; sliceMs: number },
  afterBatch: (progress: { rowsDeleted: number; batches: number }) => void = () => {},
): Promise<PurgeSliceResult> {
  const started = Date.now();
  let rowsDeleted = 0;
  let batches = 0;
  while (Date.now() - started < input.sliceMs) {
    const step = await purgeBatchWithProgress(db, input.tenantId, input.batchRows);
    if (!step) return { rowsDeleted, batches, done: true };
    rowsDeleted += step.deleted;
    batches += 1;
    afterBatch({ rowsDeleted, batches });
  }
  return { rowsDeleted, batches, done: false };
}

/** Everything is deleted: the tombstone (integrations/transitions.ts) and the purge marked done, together. */
export async function finishPurge(db: Queryable, tenantId: string): Promise<void> {
  await transition.finishPurge(db, tenantId, (tx) => setPurgePhase(tx, tenantId, 'done'));
}
