import { condition, continueAsNew, isCancellation, patched, setCurrentDetails, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { pagingActivityOptions } from './activity-options.js';
import { BACKFILL_WINDOW_MS, initialSyncPausedSignal, initialSyncProgressQuery } from './definitions.js';
import { notifyBestEffort } from './notification-delivery.js';
import type { Notification } from './notifications.js';
import { nonRetryableActivityFailure, runFailure, runSteps } from './run-steps.js';
import type { InitialSyncInput, InitialSyncPhase, LogWindowInput, LogWindowResult, RunRef, SyncTotals } from './types.js';

/** Day windows fetched at once by runs started without a setting; the account's budget, not this, bounds the request rate. */
const DEFAULT_WINDOW_CONCURRENCY = 4;

/**
 * Patch id of waiting for the Duo account's budget on a durable timer: a window whose account has no
 * token commits its pages, returns when the next token is due, and is called again then, so a tenant
 * waiting for Duo holds no activity slot, database connection or heartbeat stream meanwhile.
 */
export const BUDGET_WAIT_ON_TIMER = 'backfill-budget-wait-on-timer';

/** Patch id of waiting while the tenant is paused, instead of scheduling more windows. */
export const INITIAL_SYNC_WAITS_WHILE_PAUSED = 'initial-sync-waits-while-paused';
/** Patch id of the `initial_sync.failed` and `integration.needs_attention` webhooks of a failed initial sync. */
export const NOTIFY_INITIAL_SYNC_FAILED = 'notify-initial-sync-failed';

/**
 * A paused sync looks again after this long even without a resume signal (one lost while Temporal
 * was unreachable): its activities ask Postgres, and stop again at once while still paused.
 */
const PAUSE_RECHECK_MS = 15 * 60_000;
const PAUSE_LOOK_AGAIN_MS = 60_000;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

const windowSummary = (window: LogWindowInput) => `Auth logs ${day(window.windowStartMs)} → ${new Date(window.windowEndMs).toISOString()}`;

/**
 * One window to its end: whenever its account's budget has no token for a while, the activity returns
 * with the instant it is due and the workflow sleeps until then on a durable timer, then calls again
 * (resuming from the cursor stored in Postgres). The last call's counts are the window's.
 */
async function syncWindowWaitingOnTimer(steps: ReturnType<typeof runSteps>, window: LogWindowInput): Promise<LogWindowResult> {
  for (;;) {
    const result = await steps.paging('syncAuthLogWindow', windowSummary(window), { ...window, yieldOnBudgetWait: true });
    if (result.budgetWaitUntilMs === undefined) return result;
    // Workflow time is the time of the task that resumed the workflow: deterministic on replay.
    await sleep(Math.max(1, result.budgetWaitUntilMs - Date.now()));
  }
}

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
  const steps = runSteps(pagingActivityOptions);
  const windowConcurrency = Math.max(1, input.windowConcurrency ?? DEFAULT_WINDOW_CONCURRENCY);
  // Runs recorded before this patch never paused: they neither take the signal nor wait.
  const pausable = patched(INITIAL_SYNC_WAITS_WHILE_PAUSED);
  let pauseRequested = false;
  let signals = 0;
  let waiting = false;
  if (pausable) {
    setHandler(initialSyncPausedSignal, (paused) => {
      pauseRequested = paused;
      signals += 1;
    });
  }
  /**
   * Paused: until the resume signal, or the recheck interval. Without a pause signal to wait on (a
   * resume that arrived before the paused result was seen, or a pause signal that was lost), until
   * the next signal or a minute. Either way the next activities ask Postgres again.
   */
  const waitWhilePaused = async () => {
    const seen = signals;
    waiting = true;
    showProgress();
    if (pauseRequested) await condition(() => !pauseRequested, PAUSE_RECHECK_MS);
    else await condition(() => signals > seen, PAUSE_LOOK_AGAIN_MS);
    waiting = false;
  };

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
        `**Phase:** ${phase}${waiting ? ' (paused)' : ''}`,
        `**Users:** ${totals.users} · **Groups:** ${totals.groups}`,
        `**Auth events:** ${totals.events} · **Days done:** ${totals.windowsDone} of ${windowsTotal}`,
        nextWindowEndMs < input.anchorMs ? `**Synced back to:** ${new Date(nextWindowEndMs).toISOString()}` : '',
      ].filter(Boolean).join('\n\n'),
    );

  try {
    if (!input.resume) {
      await steps.bookkeeping('beginInitialSync', 'Record the initial sync as started', run);
    }

    if (phase === 'roster') {
      showProgress();
      await steps.bookkeeping('recordInitialSyncPhase', `Phase: ${phase}`, input.tenantId, phase);
      let roster = await steps.paging('syncRoster', 'Roster: groups, then users with memberships', input.tenantId);
      while (pausable && roster.paused) {
        await waitWhilePaused();
        roster = await steps.paging('syncRoster', 'Roster after the pause: groups, then users with memberships', input.tenantId);
      }
      totals.users = roster.users;
      totals.groups = roster.groups;
      phase = 'auth_logs';
      await steps.bookkeeping('recordInitialSyncPhase', `Phase: ${phase}`, input.tenantId, phase);
    }

    while (phase === 'auth_logs' && nextWindowEndMs > input.backfillStartMs) {
      if (pausable && pauseRequested) await waitWhilePaused();
      showProgress();
      const batch: LogWindowInput[] = [];
      for (let end = nextWindowEndMs; end > input.backfillStartMs && batch.length < windowConcurrency; end -= BACKFILL_WINDOW_MS) {
        batch.push({ tenantId: input.tenantId, stream: 'auth', windowStartMs: Math.max(input.backfillStartMs, end - BACKFILL_WINDOW_MS), windowEndMs: end });
      }
      // Runs recorded before the patch waited inside the activity and replay that way (the answer holds
      // for the whole run; the run after a continue-as-new takes the new way).
      const waitOnTimer = patched(BUDGET_WAIT_ON_TIMER);
      const results = await Promise.all(
        batch.map((window) => (waitOnTimer ? syncWindowWaitingOnTimer(steps, window) : steps.paging('syncAuthLogWindow', windowSummary(window), window))),
      );
      if (pausable && results.some((result) => result.paused)) {
        // The same batch again after the pause: finished windows answer from Postgres, the others
        // resume from their cursors, and each reports its whole count, so nothing is counted twice.
        await waitWhilePaused();
        if (workflowInfo().continueAsNewSuggested) {
          return await continueAsNew<typeof initialSync>({ ...input, resume: { phase, nextWindowEndMs, totals } });
        }
        continue;
      }
      for (const result of results) totals.events += result.events;
      totals.windowsDone += batch.length;
      nextWindowEndMs = batch[batch.length - 1]?.windowStartMs ?? input.backfillStartMs;

      if (workflowInfo().continueAsNewSuggested && nextWindowEndMs > input.backfillStartMs) {
        return await continueAsNew<typeof initialSync>({ ...input, resume: { phase, nextWindowEndMs, totals } });
      }
    }

    phase = 'finishing';
    showProgress();
    await steps.bookkeeping('completeInitialSync', `Complete: ${totals.users} users, ${totals.groups} groups, ${totals.events} auth events`, run, totals);
    phase = 'done';
    showProgress();
    const completed: Notification = { type: 'initial_sync.completed', tenantId: input.tenantId, at: new Date().toISOString(), details: { ...totals } };
    await notifyBestEffort(input.tenantId, [completed]);
    return totals;
  } catch (error) {
    if (isCancellation(error)) {
      await steps.recordCancelled(run, { ...totals });
      throw error;
    }
    // Only a failure no retry can fix ends the sync; anything else (continue-as-new) goes on up as it is.
    const failure = nonRetryableActivityFailure(error);
    if (!failure) throw error;
    await steps.bookkeeping('failInitialSync', `Record the failure: ${failure.code}`, run, failure, totals);
    // The incremental schedule would fail the same way: pause it with a note saying why.
    await steps.bookkeeping('pauseForAttention', `Pause the incremental schedule: ${failure.code}`, input.tenantId, failure);
    if (patched(NOTIFY_INITIAL_SYNC_FAILED)) {
      const at = new Date().toISOString();
      const details = { code: failure.code, message: failure.message, phase, ...totals };
      await notifyBestEffort(input.tenantId, [
        { type: 'initial_sync.failed', tenantId: input.tenantId, at, details },
        { type: 'integration.needs_attention', tenantId: input.tenantId, at, details: { code: failure.code, message: failure.message } },
      ]);
    }
    throw runFailure(failure);
  }
}
