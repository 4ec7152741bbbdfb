import { DUO_MAX_LOG_AGE_MS } from '../duo/client.js';
import { lockIntegration, requestRosterRefresh, requireIntegration, setInitialSyncRun, updateSettings, type IntegrationRow } from '../db/integrations.js';
import type { IntegrationSettings } from '../db/schema.js';
import { setStreamEnabled } from '../db/stream-checkpoints.js';
import { AppError } from '../errors/app-error.js';
import { InitialSyncNotFailedError, TenantNotFoundError } from '../errors/integration-errors.js';
import type { ConnectDeps } from './connect.js';
import {
  ensureIncrementalSchedule,
  pauseIncrementalSchedule,
  triggerIncrementalSync,
  unpauseIncrementalSchedule,
} from './schedules.js';
import { requestPurge, startTenantPurge, stopTenantWorkflows } from './tenant-purge.js';
import { signalInitialSyncPaused, startInitialSync, waitForInitialSyncToClose } from './temporal.js';
import { transition } from './transitions.js';
import { applyWebhookSettings, type WebhookInput } from './webhooks.js';

/** How long a retry waits for the failed run to finish its last steps (normally well under a second). */
const RETRY_WAIT_FOR_FAILED_RUN_MS = 10_000;

/**
 * The integration's lifecycle after connect. Postgres holds the desired state and is written first;
 * Temporal is then made to match. If Temporal is unreachable the request fails with
 * TEMPORAL_UNAVAILABLE and reconciliation applies the stored state once Temporal answers.
 */

async function applyToTemporal<T>(
  action: () => Promise<T>,
  message = 'Stored, but Temporal could not be updated now; it will be reconciled shortly',
): Promise<T> {
  try {
    return await action();
  } catch (cause) {
    throw new AppError('TEMPORAL_UNAVAILABLE', message, { cause });
  }
}

/** "Sync now": one incremental run at once at most (overlap SKIP); `roster` also refreshes the roster. */
export async function syncNow(deps: ConnectDeps, tenantId: string, options: { roster?: boolean } = {}): Promise<void> {
  await requireIntegration(deps.db, tenantId, { connected: true });
  if (options.roster) await requestRosterRefresh(deps.db, tenantId);
  await applyToTemporal(() => triggerIncrementalSync(deps.temporal, tenantId), 'Temporal could not be reached to start the run; try again shortly');
}

export interface PauseInput {
  /** Who asks (an operator's name or a system); shown in the Temporal UI note. */
  by: string;
  reason: string;
}

const noteOf = (verb: string, input: PauseInput) => `${verb} by ${input.by}: ${input.reason}`.slice(0, 1000);

/**
 * Pause means no new Duo request: the transition commits only after the Duo requests in flight have
 * finished (activities hold a lock on the row while a request runs, activities/pause-gate.ts), and
 * every later request sees the pause. Running syncs stop at their next page boundary; the initial
 * sync is also told, so it schedules no more windows and waits for resume.
 */
export async function pauseIntegration(deps: ConnectDeps, tenantId: string, input: PauseInput): Promise<void> {
  const note = noteOf('Paused', input);
  await transition.pause(deps.db, tenantId, note);
  await applyToTemporal(async () => {
    await pauseIncrementalSchedule(deps.temporal, tenantId, note);
    await signalInitialSyncPaused(deps.temporal, tenantId, true);
  });
}

/**
 * Resumes a paused (or needs-attention) integration; the failure streak starts again from zero (a
 * failure before the pause still gets its `sync.recovered`: that is decided from the run log). A
 * paused initial sync goes on where it stopped; a failed one is started again (retryInitialSync).
 */
export async function resumeIntegration(deps: ConnectDeps, tenantId: string, input: PauseInput): Promise<void> {
  const note = noteOf('Resumed', input);
  const restart = await deps.db.transaction(async (tx) => {
    const current = await lockIntegration(tx, tenantId);
    await transition.resume(tx, tenantId);
    if (current?.initialSyncState !== 'failed') return false;
    await transition.restartInitialSync(tx, tenantId);
    return true;
  });
  if (restart) await startRetriedInitialSync(deps, tenantId);
  await applyToTemporal(async () => {
    await unpauseIncrementalSchedule(deps.temporal, tenantId, note);
    await signalInitialSyncPaused(deps.temporal, tenantId, false);
  });
}

/**
 * Operator retry of a failed initial sync with the stored keys: a new run with the same anchor, so
 * finished windows are not fetched again and unfinished ones resume from their cursors. A tenant
 * that needed attention for that failure recovers (its schedule runs again); a human pause stays.
 * Refused with INITIAL_SYNC_NOT_FAILED while the initial sync runs or has completed.
 */
export async function retryInitialSync(deps: ConnectDeps, tenantId: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const current = await lockIntegration(tx, tenantId);
    if (!current) throw new TenantNotFoundError(tenantId);
    // A disconnected tenant is refused by the transition below (connect it again instead).
    if (current.status !== 'disconnected' && current.initialSyncState !== 'failed') throw new InitialSyncNotFailedError(tenantId, current.initialSyncState);
    if (current.status === 'needs_attention') await transition.recover(tx, tenantId);
    await transition.restartInitialSync(tx, tenantId);
  });
  await startRetriedInitialSync(deps, tenantId);
  const row = await requireIntegration(deps.db, tenantId);
  await applyToTemporal(() => ensureIncrementalSchedule(deps.temporal, deps.config, row));
}

/**
 * Starts the restarted initial sync. If Temporal does not take it, the sync is recorded as failed
 * again (TEMPORAL_UNAVAILABLE, needs attention), so the status never says `syncing` with nothing running.
 */
async function startRetriedInitialSync(deps: ConnectDeps, tenantId: string): Promise<void> {
  const row = await requireIntegration(deps.db, tenantId, { connected: true });
  try {
    if (!(await waitForInitialSyncToClose(deps.temporal, tenantId, RETRY_WAIT_FOR_FAILED_RUN_MS))) {
      throw new Error('the failed initial-sync run is still open');
    }
    const started = await startInitialSync(deps.temporal, deps.config, {
      tenantId,
      anchorMs: row.anchorAt.getTime(),
      backfillStartMs: row.backfillStartAt.getTime(),
    });
    await setInitialSyncRun(deps.db, tenantId, started.runId);
  } catch (cause) {
    const error = new AppError('TEMPORAL_UNAVAILABLE', 'The initial sync could not be started (Temporal unreachable, or the failed run still closing); it stays failed, retry the request', { cause });
    await transition.failInitialSync(deps.db, tenantId, { code: error.code, message: error.message });
    throw error;
  }
}

export interface SettingsPatch {
  syncIntervalMinutes?: number;
  streams?: { telephony?: boolean; activity?: boolean; administrator?: boolean };
  rosterRefreshHourUtc?: number | null;
  eventRetentionDays?: number | null;
  webhook?: WebhookInput;
}

/** Merges settings and updates the schedule in place (interval, jitter, catch-up window). */
export async function updateIntegrationSettings(deps: ConnectDeps, tenantId: string, patch: SettingsPatch): Promise<IntegrationRow> {
  const integration = await requireIntegration(deps.db, tenantId, { connected: true });
  const { rosterRefreshHourUtc, eventRetentionDays, webhook, ...rest } = patch;
  const settings: IntegrationSettings = {
    ...integration.settings,
    ...rest,
    streams: { ...integration.settings.streams, ...patch.streams },
  };
  if (rosterRefreshHourUtc === null) delete settings.rosterRefreshHourUtc;
  else if (rosterRefreshHourUtc !== undefined) settings.rosterRefreshHourUtc = rosterRefreshHourUtc;
  if (eventRetentionDays === null) delete settings.eventRetentionDays;
  else if (eventRetentionDays !== undefined) settings.eventRetentionDays = eventRetentionDays;
  await deps.db.transaction(async (tx) => {
    await updateSettings(tx, tenantId, settings);
    if (webhook) await applyWebhookSettings(tx, deps, tenantId, webhook);
  });
  const startMs = Math.max(integration.anchorAt.getTime(), Date.now() - DUO_MAX_LOG_AGE_MS + 60_000);
  for (const [stream, enabled] of Object.entries(patch.streams ?? {})) {
    if (enabled !== undefined) await setStreamEnabled(deps.db, tenantId, stream, enabled, startMs);
  }
  const updated = await requireIntegration(deps.db, tenantId, { connected: true });
  await applyToTemporal(() => ensureIncrementalSchedule(deps.temporal, deps.config, updated));
  return updated;
}

/**
 * Disconnect: erase the stored credentials, delete the schedule, cancel running syncs; the synced data
 * and cursors stay, so reconnecting resumes. With purge, the tenant becomes `purging` and the purge
 * workflow deletes the data in batches (integrations/tenant-purge.ts); repeating the request while
 * it runs finds the same workflow. Returns whether a purge is under way.
 */
export async function disconnectIntegration(deps: ConnectDeps, tenantId: string, options: { purge: boolean }): Promise<{ purging: boolean }> {
  const purging = options.purge ? await requestPurge(deps.db, tenantId) : (await transition.disconnect(deps.db, tenantId), false);
  await applyToTemporal(async () => {
    // Stopped here too, not only by the workflow: no scheduled run starts while the purge waits for a worker.
    await stopTenantWorkflows(deps.temporal, tenantId);
    if (purging) await startTenantPurge(deps.temporal, deps.config, tenantId);
  }, purging ? 'Stored, but Temporal could not start the purge now; repeat the request to start it' : undefined);
  return { purging };
}
