import { findIntegration, recordIncrementalOutcome, setSchedulePaused } from '../db/integrations.js';
import { finishSyncRun, startSyncRun } from '../db/sync-runs.js';
import { pauseIncrementalSchedule } from '../client/schedules.js';
import { AppError } from '../errors/app-error.js';
import { nonRetryableErrorCodes } from '../errors/codes.js';
import type { Notification } from '../workflows/notifications.js';
import type { FailureNote, LogStream, RunRef } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';

const DAY_MS = 86_400_000;

export interface IncrementalPlan {
  streams: LogStream[];
  rosterDue: boolean;
}

/** Records the run and decides what it does: which log streams, and whether the roster is due. */
export async function beginIncrementalRun(deps: ActivityDeps, run: RunRef): Promise<IncrementalPlan> {
  const integration = await findIntegration(deps.db, run.tenantId);
  if (!integration || integration.status === 'disconnected') {
    throw new AppError('INTEGRATION_NOT_CONNECTED', `Tenant ${run.tenantId} is not connected to Duo`);
  }
  await startSyncRun(deps.db, { ...run, kind: 'incremental' });
  const enabled = integration.settings.streams ?? {};
  const streams: LogStream[] = ['auth', ...(['telephony', 'activity', 'administrator'] as const).filter((s) => enabled[s] === true)];
  return { streams, rosterDue: isRosterDue(integration.lastRosterSyncAt, integration.settings.rosterRefreshHourUtc, new Date()) };
}

/** Daily: at the tenant's chosen UTC hour when set, else 24 hours after the last refresh. */
export function isRosterDue(last: Date | null, hourUtc: number | undefined, now: Date): boolean {
  if (!last) return true;
  const ageMs = now.getTime() - last.getTime();
  if (hourUtc === undefined) return ageMs >= DAY_MS;
  return (now.getUTCHours() === hourUtc && ageMs >= 20 * 3_600_000) || ageMs >= 2 * DAY_MS;
}

export interface IncrementalOutcome {
  consecutiveFailures: number;
  /** Failures reached the threshold: pause and ask for attention. */
  pauseNow: boolean;
  /** Notifications the workflow should send (best effort). */
  notifications: Notification[];
}

/** Closes the run: outcome and failure streak; says what to pause and whom to tell. */
export async function finishIncrementalRun(
  deps: ActivityDeps,
  run: RunRef,
  result: { outcome: 'completed' | 'failed'; counts: Record<string, number>; error?: FailureNote },
): Promise<IncrementalOutcome> {
  const now = new Date();
  const notifications: Notification[] = [];
  const threshold = deps.config.SYNC_FAILURES_BEFORE_PAUSE;
  const { consecutiveFailures, previousFailures } = await deps.db.transaction(async (tx) => {
    await finishSyncRun(tx, run, { outcome: result.outcome, counts: result.counts, error: result.error });
    const streak = await recordIncrementalOutcome(tx, run.tenantId, result.outcome);
    // The status turns needs_attention in the same transaction as the failed run, so no reader ever
    // sees a run that needs a human next to a status that says all is well; the workflow then pauses
    // the Temporal schedule itself (pauseForAttention).
    const failure = result.error;
    if (result.outcome === 'failed' && failure && (isNonRetryable(failure.code) || streak.consecutiveFailures >= threshold)) {
      await setSchedulePaused(tx, run.tenantId, true, attentionNote(failure), 'needs_attention', failure);
    }
    return streak;
  });
  if (result.outcome === 'failed' && consecutiveFailures === 1) {
    notifications.push({ type: 'sync.failing', tenantId: run.tenantId, at: now.toISOString(), details: { code: result.error?.code ?? 'UNKNOWN', consecutiveFailures } });
  }
  if (result.outcome === 'completed' && previousFailures > 0) {
    notifications.push({ type: 'sync.recovered', tenantId: run.tenantId, at: now.toISOString(), details: { afterFailures: previousFailures } });
  }

  return { consecutiveFailures, pauseNow: result.outcome === 'failed' && consecutiveFailures >= threshold, notifications };
}

/**
 * Stops polling a tenant whose sync cannot succeed without a human (rejected keys, revoked permission,
 * or too many failures in a row): the schedule pauses with a note saying why, status needs_attention.
 * A PUT with working keys resumes everything.
 */
export async function pauseForAttention(deps: ActivityDeps, tenantId: string, failure: FailureNote): Promise<void> {
  const note = attentionNote(failure);
  await setSchedulePaused(deps.db, tenantId, true, note, 'needs_attention', failure);
  if (!deps.temporal) throw new Error('pauseForAttention needs a Temporal client in the activity dependencies');
  await pauseIncrementalSchedule(deps.temporal, tenantId, note);
}

const attentionNote = (failure: FailureNote): string => `Paused by duo-usage-sync: ${failure.code}: ${failure.message}`.slice(0, 1000);

const isNonRetryable = (code: string): boolean => (nonRetryableErrorCodes as string[]).includes(code);
