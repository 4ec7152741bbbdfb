import { DUO_MAX_LOG_AGE_MS } from '../duo/client.js';
import { requestRosterRefresh, requireIntegration, updateSettings, type IntegrationRow } from '../db/integrations.js';
import type { IntegrationSettings } from '../db/schema.js';
import { setStreamEnabled } from '../db/stream-checkpoints.js';
import { AppError } from '../errors/app-error.js';
import type { ConnectDeps } from './connect.js';
import {
  ensureIncrementalSchedule,
  pauseIncrementalSchedule,
  triggerIncrementalSync,
  unpauseIncrementalSchedule,
} from './schedules.js';
import { requestPurge, startTenantPurge, stopTenantWorkflows } from './tenant-purge.js';
import { transition } from './transitions.js';

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

export async function pauseIntegration(deps: ConnectDeps, tenantId: string, input: PauseInput): Promise<void> {
  const note = noteOf('Paused', input);
  await transition.pause(deps.db, tenantId, note);
  await applyToTemporal(() => pauseIncrementalSchedule(deps.temporal, tenantId, note));
}

/**
 * Resumes a paused (or needs-attention) integration; the failure streak starts again from zero (a
 * failure before the pause still gets its `sync.recovered`: that is decided from the run log).
 */
export async function resumeIntegration(deps: ConnectDeps, tenantId: string, input: PauseInput): Promise<void> {
  const note = noteOf('Resumed', input);
  await transition.resume(deps.db, tenantId);
  await applyToTemporal(() => unpauseIncrementalSchedule(deps.temporal, tenantId, note));
}

export interface SettingsPatch {
  syncIntervalMinutes?: number;
  streams?: { telephony?: boolean; activity?: boolean; administrator?: boolean };
  rosterRefreshHourUtc?: number | null;
  eventRetentionDays?: number | null;
}

/** Merges settings and updates the schedule in place (interval, jitter, catch-up window). */
export async function updateIntegrationSettings(deps: ConnectDeps, tenantId: string, patch: SettingsPatch): Promise<IntegrationRow> {
  const integration = await requireIntegration(deps.db, tenantId, { connected: true });
  const { rosterRefreshHourUtc, eventRetentionDays, ...rest } = patch;
  const settings: IntegrationSettings = {
    ...integration.settings,
    ...rest,
    streams: { ...integration.settings.streams, ...patch.streams },
  };
  if (rosterRefreshHourUtc === null) delete settings.rosterRefreshHourUtc;
  else if (rosterRefreshHourUtc !== undefined) settings.rosterRefreshHourUtc = rosterRefreshHourUtc;
  if (eventRetentionDays === null) delete settings.eventRetentionDays;
  else if (eventRetentionDays !== undefined) settings.eventRetentionDays = eventRetentionDays;
  await updateSettings(deps.db, tenantId, settings);
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
