import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from './client.js';
import { syncRuns } from './schema.js';

export type SyncRunKind = 'initial' | 'incremental' | 'roster';
export type SyncRunOutcome = 'running' | 'completed' | 'failed' | 'cancelled';

/** The code a run closed by the run after it carries: it never reported an outcome (killed by its run timeout). */
export const RUN_TIMED_OUT = 'RUN_TIMED_OUT';

/** When a recorded run started (null when it was never recorded). */
export async function runStartedAt(db: Queryable, workflowId: string, runId: string): Promise<Date | null> {
  const [row] = await db
    .select({ startedAt: syncRuns.startedAt })
    .from(syncRuns)
    .where(and(eq(syncRuns.workflowId, workflowId), eq(syncRuns.runId, runId)));
  return row?.startedAt ?? null;
}

/** Records a run once (idempotent per workflow id and first run id). */
export async function startSyncRun(
  db: Queryable,
  run: { tenantId: string; kind: SyncRunKind; workflowId: string; runId: string },
): Promise<void> {
  await db.insert(syncRuns).values(run).onConflictDoNothing({ target: [syncRuns.workflowId, syncRuns.runId] });
}

export type FinishSyncRunResult =
  | { state: 'finished' }
  /** An earlier call (a retried activity) or the next run (as timed out) closed it: what it says now. */
  | { state: 'already_finished'; outcome: string; errorCode: string | null }
  | { state: 'missing' };

/** Closes a run that is still open; a run already closed keeps its outcome. */
export async function finishSyncRun(
  db: Queryable,
  run: { workflowId: string; runId: string },
  result: { outcome: Exclude<SyncRunOutcome, 'running'>; counts?: Record<string, number>; error?: { code: string; message: string } },
): Promise<FinishSyncRunResult> {
  const closed = await db
    .update(syncRuns)
    .set({
      outcome: result.outcome,
      finishedAt: sql`now()`,
      counts: result.counts ?? {},
      errorCode: result.error?.code ?? null,
      errorMessage: result.error?.message ?? null,
    })
    .where(and(eq(syncRuns.workflowId, run.workflowId), eq(syncRuns.runId, run.runId), eq(syncRuns.outcome, 'running')))
    .returning({ id: syncRuns.id });
  if (closed.length > 0) return { state: 'finished' };
  const [existing] = await db
    .select({ outcome: syncRuns.outcome, errorCode: syncRuns.errorCode })
    .from(syncRuns)
    .where(and(eq(syncRuns.workflowId, run.workflowId), eq(syncRuns.runId, run.runId)));
  return existing ? { state: 'already_finished', ...existing } : { state: 'missing' };
}

/**
 * Closes the tenant's incremental runs that are still `running` although they started longer ago than
 * a run may last (their workflow run hit its timeout, or was terminated, and never reported). They
 * become failed with RUN_TIMED_OUT; `current` (the run asking) is never closed. Returns how many.
 */
export async function closeStaleIncrementalRuns(
  db: Queryable,
  tenantId: string,
  current: { workflowId: string; runId: string },
  maxRunMs: number,
): Promise<number> {
  const closed = await db.execute<{ id: number }>(sql`
    update sync_runs set
      outcome = 'failed',
      finished_at = now(),
      error_code = ${RUN_TIMED_OUT},
      error_message = ${`The run did not finish within ${Math.round(maxRunMs / 60_000)} minutes (its workflow run timed out or was terminated); closed by the next run`}
    where tenant_id = ${tenantId} and kind = 'incremental' and outcome = 'running'
      and not (workflow_id = ${current.workflowId} and run_id = ${current.runId})
      and started_at < now() - make_interval(secs => ${maxRunMs / 1000})
    returning id`);
  return closed.length;
}

export interface FinishedRun {
  outcome: 'completed' | 'failed';
  errorCode: string | null;
  finishedAt: Date;
}

/**
 * The tenant's incremental runs around `run`, for deciding what changed with it: `previous` is the
 * last run that finished before `run` started; `closedSince` are runs that finished after it started
 * (in practice the ones `run` itself closed as timed out), in the order they finished. Cancelled runs
 * say nothing about Duo and are left out. `failuresBefore` counts the failed runs since the last
 * completed one. Every query walks the (tenant_id, started_at) index from `run` backwards over a few
 * rows, however long the run log grows.
 */
export async function incrementalRunsAround(
  db: Queryable,
  tenantId: string,
  run: { workflowId: string; runId: string },
  runTimeoutMs: number,
): Promise<{ previous: FinishedRun | undefined; closedSince: FinishedRun[]; failuresBefore: number; finishedAt: Date | undefined }> {
  const [own] = await db
    .select({ finishedAt: syncRuns.finishedAt })
    .from(syncRuns)
    .where(and(eq(syncRuns.workflowId, run.workflowId), eq(syncRuns.runId, run.runId)));
  // Compared in SQL at full precision; a run never recorded (its begin failed) comes after everything.
  const start = sql`coalesce((select started_at from sync_runs where workflow_id = ${run.workflowId} and run_id = ${run.runId}), 'infinity'::timestamptz)`;
  const notThis = sql`not (workflow_id = ${run.workflowId} and run_id = ${run.runId})`;
  type Row = { outcome: 'completed' | 'failed'; error_code: string | null; started_at: Date | string; finished_at: Date | string };
  // Raw rows bypass drizzle's column mapping: timestamps may arrive as text.
  const instant = (value: Date | string) => new Date(value);
  const toRun = (row: Row): FinishedRun => ({ outcome: row.outcome, errorCode: row.error_code, finishedAt: instant(row.finished_at) });

  const [previous] = await db.execute<Row>(sql`
    select outcome, error_code, started_at, finished_at from sync_runs
    where tenant_id = ${tenantId} and kind = 'incremental' and started_at <= ${start} and ${notThis}
      and outcome in ('completed', 'failed') and finished_at < ${start}
    order by started_at desc, id desc limit 1`);
  // A run still open at the previous run's start and older than the run timeout was closed by that
  // run, so whatever this one closed started at most a run timeout (plus slack) before the previous one.
  const closedFrom = previous ? new Date(instant(previous.started_at).getTime() - 2 * runTimeoutMs).toISOString() : '-infinity';
  const closedSince = await db.execute<Row>(sql`
    select outcome, error_code, started_at, finished_at from sync_runs
    where tenant_id = ${tenantId} and kind = 'incremental' and started_at >= ${closedFrom}::timestamptz and started_at <= ${start}
      and ${notThis} and outcome in ('completed', 'failed') and finished_at >= ${start}
    order by finished_at, id`);
  const [failures] = await db.execute<{ n: number }>(sql`
    select count(*)::int as n from sync_runs
    where tenant_id = ${tenantId} and kind = 'incremental' and outcome = 'failed' and started_at <= ${start} and ${notThis}
      and started_at > coalesce((
        select started_at from sync_runs
        where tenant_id = ${tenantId} and kind = 'incremental' and outcome = 'completed' and started_at <= ${start} and ${notThis}
        order by started_at desc limit 1
      ), '-infinity')`);
  return {
    previous: previous ? toRun(previous) : undefined,
    closedSince: [...closedSince].map(toRun),
    failuresBefore: failures?.n ?? 0,
    finishedAt: own?.finishedAt ?? undefined,
  };
}
