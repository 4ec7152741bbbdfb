import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { nonRetryableErrorCodes } from '../errors/codes.js';
import { bookkeepingActivityOptions, notificationActivityOptions, pagingActivityOptions } from './activity-options.js';
import { BACKFILL_WINDOW_MS, initialSyncProgressQuery } from './definitions.js';
import { handOffNotifications, NOTIFY_IN_OWN_WORKFLOW } from './notification-delivery.js';
import type { Notification } from './notifications.js';
import type { InitialSyncInput, InitialSyncPhase, LogWindowInput, RunRef, SyncTotals } from './types.js';

const paging = proxyActivities<Activities>(pagingActivityOptions);
const bookkeeping = proxyActivities<Activities>(bookkeepingActivityOptions);
const notify = proxyActivities<Activities>(notificationActivityOptions);

/** Day windows fetched at once; the per-account request budget, not this, bounds the request rate. */
const WINDOW_CONCURRENCY = 4;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The durable initial sync of one tenant: roster first (users queryable within minutes), then
 * authentication logs from the anchor backwards, newest day first, so the last 30/60/90 days land
 * first. Each day is one resumable activity; the run continues as new when history grows.
 */
export async function initialSync(input: InitialSyncInput): Promise<SyncTotals> {
  const info = workflowInfo();
  const run: RunRef = { tenantId: input.tenantId, workflowId: info.workflowId, runId: info.firstExecutionRunId };
  let phase: InitialSyncPhase = input.resume?.phase ?? 'roster';
  let nextWindowEndMs = input.resume?.nextWindowEndMs ?? input.anchorMs;
  const totals: SyncTotals = input.resume?.totals ?? { users: 0, groups: 0, events: 0, windowsDone: 0 };
  const windowsTotal = Math.ceil((input.anchorMs - input.backfillStartMs) / BACKFILL_WINDOW_MS);

  setHandler(initialSyncProgressQuery, () => ({
    tenantId: input.tenantId,
    phase,
    totals,
    windowsTotal,
    reachedBackMs: nextWindowEndMs < input.anchorMs ? nextWindowEndMs : null,
    anchorMs: input.anchorMs,
    backfillStartMs: input.backfillStartMs,
  }));
  const showProgress = () =>
    setCurrentDetails(
      [
        `**Phase:** ${phase}`,
        `**Users:** ${totals.users} · **Groups:** ${totals.groups}`,
        `**Auth events:** ${totals.events} · **Days done:** ${totals.windowsDone} of ${windowsTotal}`,
        nextWindowEndMs < input.anchorMs ? `**Synced back to:** ${new Date(nextWindowEndMs).toISOString()}` : '',
      ].filter(Boolean).join('\n\n'),
    );

  try {
    if (!input.resume) {
      await bookkeeping.beginInitialSync.executeWithOptions({ ...bookkeepingActivityOptions, summary: 'Record the initial sync as started' }, [run]);
    }

    if (phase === 'roster') {
      showProgress();
      await recordPhase(input.tenantId, 'roster');
      const roster = await paging.syncRoster.executeWithOptions(
        { ...pagingActivityOptions, summary: 'Roster: groups, then users with memberships' },
        [input.tenantId],
      );
      totals.users = roster.users;
      totals.groups = roster.groups;
      phase = 'auth_logs';
      await recordPhase(input.tenantId, phase);
    }

    while (phase === 'auth_logs' && nextWindowEndMs > input.backfillStartMs) {
      showProgress();
      const batch: LogWindowInput[] = [];
      for (let end = nextWindowEndMs; end > input.backfillStartMs && batch.length < WINDOW_CONCURRENCY; end -= BACKFILL_WINDOW_MS) {
        batch.push({ tenantId: input.tenantId, stream: 'auth', windowStartMs: Math.max(input.backfillStartMs, end - BACKFILL_WINDOW_MS), windowEndMs: end });
      }
      const results = await Promise.all(
        batch.map((window) =>
          paging.syncAuthLogWindow.executeWithOptions(
            { ...pagingActivityOptions, summary: `Auth logs ${day(window.windowStartMs)} → ${new Date(window.windowEndMs).toISOString()}` },
            [window],
          ),
        ),
      );
      for (const result of results) totals.events += result.events;
      totals.windowsDone += batch.length;
      nextWindowEndMs = batch[batch.length - 1]?.windowStartMs ?? input.backfillStartMs;

      if (workflowInfo().continueAsNewSuggested && nextWindowEndMs > input.backfillStartMs) {
        return await continueAsNew<typeof initialSync>({ ...input, resume: { phase, nextWindowEndMs, totals } });
      }
    }

    phase = 'finishing';
    showProgress();
    await bookkeeping.completeInitialSync.executeWithOptions(
      { ...bookkeepingActivityOptions, summary: `Complete: ${totals.users} users, ${totals.groups} groups, ${totals.events} auth events` },
      [run, totals],
    );
    phase = 'done';
    showProgress();
    const completed: Notification = { type: 'initial_sync.completed', tenantId: input.tenantId, at: new Date().toISOString(), details: { ...totals } };
    if (patched(NOTIFY_IN_OWN_WORKFLOW)) {
      await handOffNotifications(input.tenantId, [completed]);
    } else {
      // Runs recorded before the patch sent it inline; best effort: a webhook never fails the sync.
      await notify.sendNotification.executeWithOptions({ ...notificationActivityOptions, summary: `Webhook ${completed.type}` }, [completed]).catch(() => false);
    }
    return totals;
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() =>
        bookkeeping.recordRunCancelled.executeWithOptions({ ...bookkeepingActivityOptions, summary: 'Record the run as cancelled' }, [run, { ...totals }]),
      );
      throw error;
    }
    const failure = nonRetryableFailure(error);
    if (!failure) throw error;
    await bookkeeping.failInitialSync.executeWithOptions(
      { ...bookkeepingActivityOptions, summary: `Record the failure: ${failure.code}` },
      [run, failure, totals],
    );
    // The incremental schedule would fail the same way: pause it with a note saying why.
    await bookkeeping.pauseForAttention.executeWithOptions(
      { ...bookkeepingActivityOptions, summary: `Pause the incremental schedule: ${failure.code}` },
      [input.tenantId, failure],
    );
    // Typed and non-retryable: operators see the code (e.g. DUO_CREDENTIALS_REJECTED) in the UI.
    throw ApplicationFailure.create({ type: failure.code, message: failure.message, nonRetryable: true });
  }
}

const recordPhase = (tenantId: string, phase: InitialSyncPhase) =>
  bookkeeping.recordInitialSyncPhase.executeWithOptions({ ...bookkeepingActivityOptions, summary: `Phase: ${phase}` }, [tenantId, phase]);

/** The activity failure that ends the sync: one of our non-retryable codes. */
function nonRetryableFailure(error: unknown): { code: string; message: string } | undefined {
  const cause = error instanceof ActivityFailure ? error.cause : undefined;
  if (cause instanceof ApplicationFailure && cause.type && (nonRetryableErrorCodes as string[]).includes(cause.type)) {
    return { code: cause.type, message: cause.message };
  }
  return undefined;
}
