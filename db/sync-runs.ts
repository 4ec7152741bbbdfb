import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { syncRuns } from './schema.js';

export type SyncRunKind = 'initial' | 'incremental' | 'roster';
export type SyncRunOutcome = 'running' | 'completed' | 'failed' | 'cancelled';

/** Records a run once (idempotent per workflow id and first run id). */
export async function startSyncRun(
  db: Queryable,
  run: { tenantId: string; kind: SyncRunKind; workflowId: string; runId: string },
): Promise<void> {
  await db.insert(syncRuns).values(run).onConflictDoNothing({ target: [syncRuns.workflowId, syncRuns.runId] });
}

export async function finishSyncRun(
  db: Queryable,
  run: { workflowId: string; runId: string },
  result: { outcome: Exclude<SyncRunOutcome, 'running'>; counts?: Record<string, number>; error?: { code: string; message: string } },
): Promise<void> {
  await db
    .update(syncRuns)
    .set({
      outcome: result.outcome,
      finishedAt: sql`now()`,
      counts: result.counts ?? {},
      errorCode: result.error?.code ?? null,
      errorMessage: result.error?.message ?? null,
    })
    .where(and(eq(syncRuns.workflowId, run.workflowId), eq(syncRuns.runId, run.runId)));
}
