import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
} from '@temporalio/client';
import type { Config } from '../config/config.js';
import type { IntegrationRow } from '../db/integrations.js';
import { incrementalScheduleId, tenantIdSearchAttribute } from '../workflows/definitions.js';

/** How long one incremental run may take; a run still open after this never reports (see beginIncrementalRun). */
export const INCREMENTAL_RUN_TIMEOUT_MS = 60 * 60_000;

/** The interval a tenant's incremental sync runs at: its own setting, else the service default. */
export function syncIntervalMinutes(config: Config, integration: Pick<IntegrationRow, 'settings'>): number {
  return integration.settings.syncIntervalMinutes ?? config.SYNC_INTERVAL_MINUTES;
}

/** What the tenant's schedule should look like, derived from Postgres (the source of truth). */
export function desiredSchedule(config: Config, integration: IntegrationRow): ScheduleOptions {
  const tenantId = integration.tenantId;
  const everyMs = syncIntervalMinutes(config, integration) * 60_000;
  const searchAttributes = [{ key: tenantIdSearchAttribute, value: tenantId }];
  const summary = `Incremental Duo sync · tenant ${tenantId}`;
  return {
    scheduleId: incrementalScheduleId(tenantId),
    spec: {
      intervals: [{ every: everyMs }],
      // Spreads tenants that connected at the same moment: up to a fifth of the interval, at most 5 minutes.
      jitter: Math.min(everyMs / 5, 5 * 60_000),
    },
    action: {
      type: 'startWorkflow',
      workflowType: 'incrementalSync',
      workflowId: incrementalScheduleId(tenantId),
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      args: [{ tenantId }],
      // A hung run must not block SKIP forever.
      workflowRunTimeout: INCREMENTAL_RUN_TIMEOUT_MS,
      typedSearchAttributes: searchAttributes,
      staticSummary: summary,
    },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP,
      // Runs missed while Temporal was down collapse into one catch-up run.
      catchupWindow: Math.max(60_000, everyMs),
      pauseOnFailure: false,
    },
    state: { paused: integration.schedulePaused, note: integration.pauseNote ?? undefined },
    // Schedules have no summary field: the memo is what the UI and `schedule describe` show (set at creation only).
    memo: { summary },
    typedSearchAttributes: searchAttributes,
  };
}

/**
 * Makes the tenant's schedule match Postgres: created if missing, interval updated in place, paused
 * or unpaused to match. Idempotent; used by connect, the lifecycle API and reconciliation.
 */
export async function ensureIncrementalSchedule(client: Client, config: Config, integration: IntegrationRow): Promise<'created' | 'updated'> {
  const desired = desiredSchedule(config, integration);
  try {
    await client.schedule.create(desired);
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  const handle = client.schedule.getHandle(desired.scheduleId);
  await handle.update((previous) => ({ ...previous, spec: desired.spec, action: desired.action, policies: desired.policies }));
  const description = await handle.describe();
  if (description.state.paused !== integration.schedulePaused) {
    const note = integration.pauseNote ?? 'matched to the integration state';
    if (integration.schedulePaused) await handle.pause(note);
    else await handle.unpause(note);
  }
  return 'updated';
}

export async function pauseIncrementalSchedule(client: Client, tenantId: string, note: string): Promise<void> {
  await client.schedule.getHandle(incrementalScheduleId(tenantId)).pause(note);
}

export async function unpauseIncrementalSchedule(client: Client, tenantId: string, note: string): Promise<void> {
  await client.schedule.getHandle(incrementalScheduleId(tenantId)).unpause(note);
}

/** "Sync now": never a second run at once (the SDK's default for trigger is ALLOW_ALL). */
export async function triggerIncrementalSync(client: Client, tenantId: string): Promise<void> {
  await client.schedule.getHandle(incrementalScheduleId(tenantId)).trigger(ScheduleOverlapPolicy.SKIP);
}

/** Deletes the schedule; a schedule that is already gone counts as deleted. */
export async function deleteIncrementalSchedule(client: Client, tenantId: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(incrementalScheduleId(tenantId)).delete();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}

export interface ScheduleState {
  paused: boolean;
  note: string | undefined;
  nextActionAt: Date | undefined;
  intervalMs: number | undefined;
}

export async function describeIncrementalSchedule(client: Client, tenantId: string): Promise<ScheduleState | undefined> {
  try {
    const description = await client.schedule.getHandle(incrementalScheduleId(tenantId)).describe();
    return {
      paused: description.state.paused,
      note: description.state.note,
      nextActionAt: description.info.nextActionTimes[0],
      intervalMs: description.spec.intervals?.[0]?.every,
    };
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return undefined;
    throw error;
  }
}
