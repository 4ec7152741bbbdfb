import { isCancellation, patched, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import { incrementalPagingActivityOptions } from './activity-options.js';
import { incrementalTaskQueue } from './definitions.js';
import { notifyBestEffort } from './notification-delivery.js';
import { describeFailure, isNonRetryable, runFailure, runSteps, type QueueOption, type RunSteps } from './run-steps.js';
import type { IncrementalPlan } from '../activities/incremental-run.js';
import type { IncrementalSyncInput, IncrementalSyncResult, LogStream, RunRef } from './types.js';

/** Calls of one stream per run while it catches up a day at a time (a long pause catches up over runs). */
const MAX_INCREMENTS_PER_STREAM = 7;

/** Patch id of the common run (auth only, roster not due) as one activity: fewer billed actions. */
export const INCREMENTAL_ONE_ACTIVITY = 'incremental-one-activity';

/** Patch id of the move of the recurring sync's activities to a task queue of their own. */
export const ACTIVITIES_ON_INCREMENTAL_QUEUE = 'activities-on-incremental-queue';

/** Patch id of the late-arrival sweep behind the auth checkpoint. */
export const LATE_LOG_SWEEP = 'late-log-sweep';
/** Patch id of ending the run once an activity says the tenant is paused. */
export const INCREMENTAL_STOPS_WHEN_PAUSED = 'incremental-stops-when-paused';

/**
 * One scheduled run for one tenant: every enabled log stream from its checkpoint to now minus Duo's
 * delay, and the roster once a day. Started by the tenant's schedule (`duo-incremental:{tenantId}`).
 */
export async function incrementalSync(input: IncrementalSyncInput): Promise<IncrementalSyncResult> {
  const info = workflowInfo();
  const run: RunRef = { tenantId: input.tenantId, workflowId: info.workflowId, runId: info.firstExecutionRunId };
  const counts: Record<string, number> = {};
  // The run's activities on a queue of their own: backfill windows of other tenants hold activity
  // slots of the main queue for hours while they wait on Duo's budget, and must never starve a run.
  // Runs recorded before the patch ran them on the workflow's own queue.
  const queue: QueueOption = patched(ACTIVITIES_ON_INCREMENTAL_QUEUE) ? { taskQueue: incrementalTaskQueue(info.taskQueue) } : {};
  const steps = runSteps(incrementalPagingActivityOptions, queue);
  try {
    let plan: IncrementalPlan;
    // A hosted Temporal bills each activity: the common run is one activity that plans, pages auth,
    // sweeps when due and records the outcome. A run needing more (roster, optional streams) comes
    // back planned and recorded, and goes on step by step. Runs recorded before began with their plan.
    if (patched(INCREMENTAL_ONE_ACTIVITY)) {
      const whole = await steps.paging('runIncrementalSync', 'Run: plan, auth since checkpoint, late sweep if due, finish', run);
      if (whole.finished) {
        setCurrentDetails(Object.entries(whole.counts).map(([s, n]) => `**${s}:** ${n} new`).join('\n\n'));
        Object.assign(counts, whole.counts);
        await notifyBestEffort(input.tenantId, whole.notifications, queue);
        return { counts };
      }
      plan = whole.plan;
    } else {
      plan = await steps.bookkeeping('beginIncrementalRun', 'Plan the run: streams to sync, roster due or not', run);
    }
    // Paused meanwhile: the stream stopped at a page boundary; no further stream or roster starts.
    let paused = false;
    for (const stream of plan.streams) {
      const synced = await syncStream(steps, input.tenantId, stream);
      counts[stream] = synced.events;
      setCurrentDetails(Object.entries(counts).map(([s, n]) => `**${s}:** ${n} new`).join('\n\n'));
      if (synced.paused && patched(INCREMENTAL_STOPS_WHEN_PAUSED)) {
        paused = true;
        break;
      }
    }
    // Runs planned before the sweep existed carry no lateSweepDue; patched() keeps histories of
    // workflow code without the sweep replaying (checked only when a sweep is due).
    if (!paused && plan.lateSweepDue === true && patched(LATE_LOG_SWEEP)) {
      const sweep = await steps.paging('sweepLateLogs', 'Late-arrival sweep behind the auth checkpoint', { tenantId: input.tenantId });
      if (sweep.swept) counts.lateAuth = sweep.found;
    }
    if (plan.rosterDue && !paused) {
      const roster = await steps.paging('syncRoster', 'Daily roster refresh', input.tenantId);
      counts.users = roster.users;
      counts.usersMarkedDeleted = roster.usersMarkedDeleted;
    }
    const outcome = await steps.bookkeeping('finishIncrementalRun', `Finish run: completed, ${describeCounts(counts)}`, run, { outcome: 'completed', counts });
    await notifyBestEffort(input.tenantId, outcome.notifications, queue);
    return { counts };
  } catch (error) {
    if (isCancellation(error)) {
      await steps.recordCancelled(run, counts);
      throw error;
    }
    const failure = describeFailure(error);
    const outcome = await steps.bookkeeping('finishIncrementalRun', `Finish run: failed with ${failure.code}`, run, { outcome: 'failed', counts, error: failure });
    if (isNonRetryable(failure.code) || outcome.pauseNow) {
      await steps.bookkeeping('pauseForAttention', `Pause the schedule: ${failure.code}`, input.tenantId, failure);
    }
    await notifyBestEffort(input.tenantId, outcome.notifications, queue);
    throw runFailure(failure);
  }
}

async function syncStream(steps: RunSteps, tenantId: string, stream: LogStream): Promise<{ events: number; paused: boolean }> {
  let total = 0;
  for (let i = 0; i < MAX_INCREMENTS_PER_STREAM; i++) {
    const result = await steps.paging('syncLogIncrement', `${stream} logs since checkpoint`, { tenantId, stream });
    total += result.events;
    // Branches on the recorded result only (older results lack the fields), so replay is unaffected.
    if (result.caughtUp || result.runBudgetSpent) break;
    if (result.paused) return { events: total, paused: true };
  }
  return { events: total, paused: false };
}

/** "auth 12 new, users 40": what the run did, for the activity summary (counts only). */
function describeCounts(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([name, n]) => `${name} ${n}`);
  return parts.length ? parts.join(', ') : 'nothing new';
}
