import { ActivityFailure, ApplicationFailure, CancellationScope, isCancellation, patched, proxyActivities, setCurrentDetails, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { nonRetryableErrorCodes } from '../errors/codes.js';
import { bookkeepingActivityOptions, incrementalPagingActivityOptions, notificationActivityOptions } from './activity-options.js';
import { incrementalTaskQueue } from './definitions.js';
import { handOffNotifications, NOTIFY_IN_OWN_WORKFLOW } from './notification-delivery.js';
import type { Notification } from './notifications.js';
import type { FailureNote, IncrementalSyncInput, IncrementalSyncResult, LogStream, RunRef } from './types.js';

const paging = proxyActivities<Activities>(incrementalPagingActivityOptions);
const bookkeeping = proxyActivities<Activities>(bookkeepingActivityOptions);
const notify = proxyActivities<Activities>(notificationActivityOptions);

/** Calls of one stream per run while it catches up a day at a time (a long pause catches up over runs). */
const MAX_INCREMENTS_PER_STREAM = 7;

/** Patch id of the move of the recurring sync's activities to a task queue of their own. */
export const ACTIVITIES_ON_INCREMENTAL_QUEUE = 'activities-on-incremental-queue';

/** Where this run's activities go: the workflow's own queue for runs recorded before the patch. */
type QueueOption = { taskQueue?: string };

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
  const queue: QueueOption = patched(ACTIVITIES_ON_INCREMENTAL_QUEUE) ? { taskQueue: incrementalTaskQueue(info.taskQueue) } : {};
  const pagingOptions = { ...incrementalPagingActivityOptions, ...queue };
  try {
    const plan = await bookkeeping.beginIncrementalRun.executeWithOptions(
      { ...bookkeepingActivityOptions, ...queue, summary: 'Plan the run: streams to sync, roster due or not' },
      [run],
    );
    for (const stream of plan.streams) {
      counts[stream] = await syncStream(input.tenantId, stream, pagingOptions);
      setCurrentDetails(Object.entries(counts).map(([s, n]) => `**${s}:** ${n} new`).join('\n\n'));
    }
    if (plan.rosterDue) {
      const roster = await paging.syncRoster.executeWithOptions({ ...pagingOptions, summary: 'Daily roster refresh' }, [input.tenantId]);
      counts.users = roster.users;
      counts.usersMarkedDeleted = roster.usersMarkedDeleted;
    }
    const outcome = await bookkeeping.finishIncrementalRun.executeWithOptions(
      { ...bookkeepingActivityOptions, ...queue, summary: `Finish run: completed, ${describeCounts(counts)}` },
      [run, { outcome: 'completed', counts }],
    );
    await notifyBestEffort(input.tenantId, outcome.notifications, queue);
    return { counts };
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() =>
        bookkeeping.recordRunCancelled.executeWithOptions({ ...bookkeepingActivityOptions, ...queue, summary: 'Record the run as cancelled' }, [run, counts]),
      );
      throw error;
    }
    const failure = describeFailure(error);
    const outcome = await bookkeeping.finishIncrementalRun.executeWithOptions(
      { ...bookkeepingActivityOptions, ...queue, summary: `Finish run: failed with ${failure.code}` },
      [run, { outcome: 'failed', counts, error: failure }],
    );
    if (nonRetryable(failure.code) || outcome.pauseNow) {
      await bookkeeping.pauseForAttention.executeWithOptions(pauseOptions(failure, queue), [input.tenantId, failure]);
    }
    await notifyBestEffort(input.tenantId, outcome.notifications, queue);
    throw ApplicationFailure.create({ type: failure.code, message: failure.message, nonRetryable: true });
  }
}

async function syncStream(tenantId: string, stream: LogStream, pagingOptions: ActivityOptions): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_INCREMENTS_PER_STREAM; i++) {
    const result = await paging.syncLogIncrement.executeWithOptions(
      { ...pagingOptions, summary: `${stream} logs since checkpoint` },
      [{ tenantId, stream }],
    );
    total += result.events;
    // Branches on the recorded result only (older results lack the field), so replay is unaffected.
    if (result.caughtUp || result.runBudgetSpent) break;
  }
  return total;
}

/** Webhooks never fail or hold a sync: delivery runs in its own workflow, retried there. */
async function notifyBestEffort(tenantId: string, notifications: Notification[], queue: QueueOption): Promise<void> {
  if (notifications.length === 0) return;
  if (patched(NOTIFY_IN_OWN_WORKFLOW)) return handOffNotifications(tenantId, notifications, queue);
  // Runs recorded before the patch sent them inline, one activity each.
  for (const notification of notifications) {
    try {
      await notify.sendNotification.executeWithOptions({ ...notificationActivityOptions, summary: `Webhook ${notification.type}` }, [notification]);
    } catch {
      // Given up after the notification retries; the sync itself is unaffected.
    }
  }
}

const pauseOptions = (failure: FailureNote, queue: QueueOption) => ({ ...bookkeepingActivityOptions, ...queue, summary: `Pause the schedule: ${failure.code}` });

/** "auth 12 new, users 40": what the run did, for the activity summary (counts only). */
function describeCounts(counts: Record<string, number>): string {
  const parts = Object.entries(counts).map(([name, n]) => `${name} ${n}`);
  return parts.length ? parts.join(', ') : 'nothing new';
}

function nonRetryable(code: string): boolean {
  return (nonRetryableErrorCodes as string[]).includes(code);
}

/** The code and safe message of what failed (activity failures carry our typed ApplicationFailure). */
function describeFailure(error: unknown): { code: string; message: string } {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure && cause.type) return { code: cause.type, message: cause.message };
  if (cause instanceof Error) return { code: 'SYNC_FAILED', message: cause.message.slice(0, 500) };
  return { code: 'SYNC_FAILED', message: 'unknown failure' };
}
