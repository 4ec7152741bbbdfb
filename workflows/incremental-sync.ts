import { ActivityFailure, ApplicationFailure, CancellationScope, isCancellation, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { nonRetryableErrorCodes } from '../errors/codes.js';
import { bookkeepingActivityOptions, incrementalPagingActivityOptions, notificationActivityOptions } from './activity-options.js';
import type { IncrementalSyncInput, IncrementalSyncResult, LogStream, RunRef } from './types.js';

const paging = proxyActivities<Activities>(incrementalPagingActivityOptions);
const bookkeeping = proxyActivities<Activities>(bookkeepingActivityOptions);
const notify = proxyActivities<Activities>(notificationActivityOptions);

/** Calls of one stream per run while it catches up a day at a time (a long pause catches up over runs). */
const MAX_INCREMENTS_PER_STREAM = 7;

/**
 * One scheduled run for one tenant: every enabled log stream from its checkpoint to now minus Duo's
 * delay, and the roster once a day. Started by the tenant's schedule (`duo-incremental:{tenantId}`).
 */
export async function incrementalSync(input: IncrementalSyncInput): Promise<IncrementalSyncResult> {
  const info = workflowInfo();
  const run: RunRef = { tenantId: input.tenantId, workflowId: info.workflowId, runId: info.firstExecutionRunId };
  const counts: Record<string, number> = {};
  try {
    const plan = await bookkeeping.beginIncrementalRun(run);
    for (const stream of plan.streams) {
      counts[stream] = await syncStream(input.tenantId, stream);
      setCurrentDetails(Object.entries(counts).map(([s, n]) => `**${s}:** ${n} new`).join('\n\n'));
    }
    if (plan.rosterDue) {
      const roster = await paging.syncRoster.executeWithOptions({ ...incrementalPagingActivityOptions, summary: 'Daily roster refresh' }, [input.tenantId]);
      counts.users = roster.users;
      counts.usersMarkedDeleted = roster.usersMarkedDeleted;
    }
    const outcome = await bookkeeping.finishIncrementalRun(run, { outcome: 'completed', counts });
    await sendBestEffort(outcome.notifications);
    return { counts };
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() => bookkeeping.recordRunCancelled(run, counts));
      throw error;
    }
    const failure = describeFailure(error);
    const outcome = await bookkeeping.finishIncrementalRun(run, { outcome: 'failed', counts, error: failure });
    if (nonRetryable(failure.code) || outcome.pauseNow) {
      await bookkeeping.pauseForAttention(input.tenantId, failure);
    }
    await sendBestEffort(outcome.notifications);
    throw ApplicationFailure.create({ type: failure.code, message: failure.message, nonRetryable: true });
  }
}

async function syncStream(tenantId: string, stream: LogStream): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_INCREMENTS_PER_STREAM; i++) {
    const result = await paging.syncLogIncrement.executeWithOptions(
      { ...incrementalPagingActivityOptions, summary: `${stream} logs since checkpoint` },
      [{ tenantId, stream }],
    );
    total += result.events;
    if (result.caughtUp) break;
  }
  return total;
}

/** Webhooks never fail or block a sync beyond their own bounded retries. */
async function sendBestEffort(notifications: Parameters<Activities['sendNotification']>[0][]): Promise<void> {
  for (const notification of notifications) {
    try {
      await notify.sendNotification(notification);
    } catch {
      // Given up after the notification retries; the sync itself is unaffected.
    }
  }
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
