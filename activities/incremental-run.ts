import { ScheduleNotFoundError } from '@temporalio/client';
import { getFailureStreak, recordIncrementalOutcome, recordTimedOutRuns, requireIntegration } from '../db/integrations.js';
import { findLateLogSweep, isSweepDue } from '../db/late-log-sweeps.js';
import { closeStaleIncrementalRuns, finishSyncRun, incrementalRunsAround, RUN_TIMED_OUT, startSyncRun, type FinishedRun } from '../db/sync-runs.js';
import { INCREMENTAL_RUN_TIMEOUT_MS, pauseIncrementalSchedule, syncIntervalMinutes } from '../integrations/schedules.js';
import { nonRetryableErrorCodes } from '../errors/codes.js';
import { attentionNote, transition } from '../integrations/transitions.js';
import type { Notification } from '../workflows/notifications.js';
import type { FailureNote, LogStream, RunRef } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

const DAY_MS = 86_400_000;

export interface IncrementalPlan {
  streams: LogStream[];
  rosterDue: boolean;
  /** The late-arrival sweep is due (activities/late-log-sweep.ts); absent in runs planned before it existed. */
  lateSweepDue?: boolean;
}

/**
 * Records the run and decides what it does: which log streams, and whether the roster is due. Runs
 * before it that never reported (killed by their run timeout) are closed as failed RUN_TIMED_OUT and
 * count toward the failure streak; closing them and recording this run is one step, so the run log
 * says they ended before this one began.
 */
export async function beginIncrementalRun(deps: ActivityDeps, run: RunRef): Promise<IncrementalPlan> {
  const integration = await requireIntegration(deps.db, run.tenantId, { connected: true });
  await deps.db.transaction(async (tx) => {
    const timedOut = await closeStaleIncrementalRuns(tx, run.tenantId, run, INCREMENTAL_RUN_TIMEOUT_MS);
    await recordTimedOutRuns(tx, run.tenantId, timedOut);
    await startSyncRun(tx, { ...run, kind: 'incremental' });
  });
  const enabled = integration.settings.streams ?? {};
  const streams: LogStream[] = ['auth', ...(['telephony', 'activity', 'administrator'] as const).filter((s) => enabled[s] === true)];
  return {
    streams,
    rosterDue: isRosterDue(integration.lastRosterSyncAt, integration.settings.rosterRefreshHourUtc, new Date(), syncIntervalMinutes(deps.config, integration)),
    lateSweepDue: isSweepDue(await findLateLogSweep(deps.db, run.tenantId), Date.now(), deps.config.LATE_LOG_SWEEP_MINUTES * 60_000),
  };
}

/**
 * Daily, measured against the runs that actually happen: a tenant's runs land every `intervalMinutes`
 * (plus jitter), so a strict 24 h would miss by minutes on one day and wait a whole interval more.
 * Without a chosen hour: due once the last refresh is within half an interval of 24 h old.
 * With a chosen UTC hour: due at the first run at or after that hour (within the run spacing, since a
 * run need not land inside the hour) once the last refresh is 20 h old, so one just before the hour
 * (e.g. the initial sync's) is not repeated; two days without one refresh it anyway.
 */
export function isRosterDue(last: Date | null, hourUtc: number | undefined, now: Date, intervalMinutes = 0): boolean {
  if (!last) return true;
  const ageMs = now.getTime() - last.getTime();
  const intervalMs = intervalMinutes * 60_000;
  if (hourUtc === undefined) return ageMs >= DAY_MS - intervalMs / 2;
  if (ageMs >= 2 * DAY_MS) return true;
  const hourMs = 3_600_000;
  const startOfDay = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  let hourStart = startOfDay + hourUtc * hourMs;
  if (hourStart > now.getTime()) hourStart -= DAY_MS;
  // Two intervals: the first run after the hour may be skipped (overlap) or fail before the roster.
  const withinReach = now.getTime() - hourStart < Math.max(hourMs, 2 * intervalMs);
  return withinReach && last.getTime() < hourStart && ageMs >= 20 * hourMs;
}

export interface IncrementalOutcome {
  consecutiveFailures: number;
  /** Failures reached the threshold: pause and ask for attention. */
  pauseNow: boolean;
  /** Notifications the workflow should send (best effort). */
  notifications: Notification[];
}

/**
 * Closes the run: outcome and failure streak; says what to pause and whom to tell. The streak (reset
 * by PUT recovery and resume) decides the pause; the webhooks are decided from the run log, so every
 * `sync.failing` is followed by one `sync.recovered` whatever reset the streak in between. Idempotent:
 * a retry after the outcome was committed records nothing twice and answers the same.
 */
export async function finishIncrementalRun(
  deps: ActivityDeps,
  run: RunRef,
  result: { outcome: 'completed' | 'failed'; counts: Record<string, number>; error?: FailureNote },
): Promise<IncrementalOutcome> {
  const now = new Date();
  const threshold = deps.config.SYNC_FAILURES_BEFORE_PAUSE;
  const finished = await deps.db.transaction(async (tx) => {
    const closed = await finishSyncRun(tx, run, { outcome: result.outcome, counts: result.counts, error: result.error });
    // Never recorded: its start found the tenant disconnected or gone. Nothing to count or announce,
    // and a retried finish must not count it again either.
    if (closed.state === 'missing') return undefined;
    const history = await incrementalRunsAround(tx, run.tenantId, run, INCREMENTAL_RUN_TIMEOUT_MS);
    if (closed.state === 'already_finished') {
      // A retry answers as the first attempt did; a run the next one already closed as timed out
      // (it outlived its timeout after all) was counted then and says nothing more.
      const closedByNextRun = closed.errorCode === RUN_TIMED_OUT && result.error?.code !== RUN_TIMED_OUT;
      return { consecutiveFailures: await getFailureStreak(tx, run.tenantId), history, closedByNextRun };
    }
    const streak = await recordIncrementalOutcome(tx, run.tenantId, result.outcome);
    // The status turns needs_attention in the same transaction as the failed run, so no reader ever
    // sees a run that needs a human next to a status that says all is well; the workflow then pauses
    // the Temporal schedule itself (pauseForAttention).
    const failure = result.error;
    if (result.outcome === 'failed' && failure && (isNonRetryable(failure.code) || streak.consecutiveFailures >= threshold)) {
      await transition.needAttention(tx, run.tenantId, failure);
    }
    return { consecutiveFailures: streak.consecutiveFailures, history, closedByNextRun: false };
  });
  if (!finished) return { consecutiveFailures: 0, pauseNow: false, notifications: [] };
  const { consecutiveFailures, history, closedByNextRun } = finished;
  if (closedByNextRun) return { consecutiveFailures, pauseNow: false, notifications: [] };
  const { finishedAt, ...around } = history;
  const notifications = outcomeNotifications({
    tenantId: run.tenantId,
    ...around,
    // Stamped with when the run finished, so a retried finish announces exactly the same events.
    current: { outcome: result.outcome, errorCode: result.error?.code ?? null, finishedAt: finishedAt ?? now },
    consecutiveFailures,
  });
  // The run that leaves the tenant needing a human says so too; a retried finish says the same again.
  const failure = result.error;
  if (result.outcome === 'failed' && failure && (isNonRetryable(failure.code) || consecutiveFailures >= threshold)) {
    notifications.push({
      type: 'integration.needs_attention',
      tenantId: run.tenantId,
      at: (finishedAt ?? now).toISOString(),
      details: { code: failure.code, message: failure.message, consecutiveFailures },
    });
  }
  return { consecutiveFailures, pauseNow: result.outcome === 'failed' && consecutiveFailures >= threshold, notifications };
}

/**
 * The webhooks a finished run causes, from the outcomes in the order runs finished: `previous` (the
 * last run finished before this one began), the runs this one closed as timed out, then this run.
 * A failed run after one that did not fail starts a streak (`sync.failing`, once); a completed run
 * after a failed one ends it (`sync.recovered`). Pure.
 */
export function outcomeNotifications(input: {
  tenantId: string;
  previous: FinishedRun | undefined;
  closedSince: FinishedRun[];
  current: FinishedRun;
  /** The streak now (timed-out runs included). */
  consecutiveFailures: number;
  /** Failed runs since the last completed one, this run excluded. */
  failuresBefore: number;
}): Notification[] {
  const notifications: Notification[] = [];
  let before = input.previous;
  for (const run of [...input.closedSince, input.current]) {
    if (run.outcome === 'failed' && before?.outcome !== 'failed') {
      notifications.push({
        type: 'sync.failing',
        tenantId: input.tenantId,
        at: run.finishedAt.toISOString(),
        details: { code: run.errorCode ?? 'UNKNOWN', consecutiveFailures: Math.max(1, input.consecutiveFailures) },
      });
    }
    if (run.outcome === 'completed' && before?.outcome === 'failed') {
      notifications.push({ type: 'sync.recovered', tenantId: input.tenantId, at: run.finishedAt.toISOString(), details: { afterFailures: input.failuresBefore } });
    }
    before = run;
  }
  return notifications;
}

/**
 * Stops polling a tenant whose sync cannot succeed without a human (rejected keys, revoked permission,
 * or too many failures in a row): the schedule pauses with a note saying why, status needs_attention.
 * A PUT with working keys resumes everything.
 */
export async function pauseForAttention(deps: ActivityDeps, tenantId: string, failure: FailureNote): Promise<void> {
  // The failure itself set needs_attention when it was recorded; this step runs later, and must not
  // undo a recovery (a PUT of working keys, a resume) that came in between.
  if (!(await transition.pauseForAttention(deps.db, tenantId, failure))) return;
  const note = attentionNote(failure);
  if (!deps.temporal) throw new Error('pauseForAttention needs a Temporal client in the activity dependencies');
  try {
    await pauseIncrementalSchedule(deps.temporal, tenantId, note);
  } catch (error) {
    // No schedule: the tenant was disconnected while this run was finishing (nothing left to pause),
    // or reconciliation has yet to recreate it, and then creates it paused from the row written above.
    if (!(error instanceof ScheduleNotFoundError)) throw error;
  }
}

const isNonRetryable = (code: string): boolean => (nonRetryableErrorCodes as string[]).includes(code);
