import type { Client } from '@temporalio/client';
import type { IntegrationRow } from '../db/integrations.js';
import type { StreamCheckpoint } from '../db/stream-checkpoints.js';
import { retentionCutoffMs, retentionInEffect, type RetentionDefaults } from './retention-policy.js';
import { describeIncrementalSchedule, type ScheduleState } from './schedules.js';
import { type IntegrationStatusDocument } from './status-document.js';

/**
 * The recurring-sync half of the status document: last and next run, lag, per-stream checkpoints,
 * schedule, retention alarm and settings. Postgres is always read; the schedule's own description
 * from Temporal is used when it answers quickly, so a slow Temporal never slows the status read.
 */

/** Same budget as the live progress query: the status read stays about a second at worst. */
export const SCHEDULE_DESCRIBE_TIMEOUT_MS = 1_000;

/** The schedule as Temporal describes it, or undefined when it is missing or Temporal did not answer in time. */
export async function readScheduleState(temporal: Client, tenantId: string): Promise<ScheduleState | undefined> {
  try {
    return await temporal.connection.withDeadline(Date.now() + SCHEDULE_DESCRIBE_TIMEOUT_MS, () =>
      describeIncrementalSchedule(temporal, tenantId),
    );
  } catch {
    // Temporal down or slow: the document shows Postgres's desired state instead (schedule.source says so).
    return undefined;
  }
}

export type SyncStatusRow = Pick<
  IntegrationRow,
  'settings' | 'schedulePaused' | 'pauseNote' | 'lastRunOutcome' | 'lastRunAt' | 'lastSyncAt' | 'retentionAlarmAt'
>;

export type CheckpointView = Pick<StreamCheckpoint, 'stream' | 'syncedThroughMs' | 'newestEventAt' | 'eventCount'>;

export interface SyncStatusInputs {
  row: SyncStatusRow;
  checkpoints: CheckpointView[];
  /** Live description of the schedule; undefined when not asked or not answered. */
  schedule: ScheduleState | undefined;
  /** SYNC_INTERVAL_MINUTES: the interval of a tenant without its own. */
  defaultIntervalMinutes: number;
  /** EVENT_RETENTION_DAYS and ROLLUP_RETENTION_DAYS: the retention of a tenant without its own. */
  defaultRetention: RetentionDefaults;
  nowMs: number;
}

export type SyncStatusFields = Pick<
  IntegrationStatusDocument,
  'lastSyncAt' | 'nextSyncAt' | 'lagSeconds' | 'streams' | 'lastRun' | 'schedule' | 'retentionAlarm' | 'retention' | 'settings'
>;

type StreamStatus = IntegrationStatusDocument['streams']['auth'];

/** Pure: the recurring-sync fields from the integration row, its checkpoints and the live schedule. */
export function composeSyncStatus(input: SyncStatusInputs): SyncStatusFields {
  const { row, checkpoints, schedule, defaultIntervalMinutes, defaultRetention, nowMs } = input;
  const retention = retentionInEffect(row.settings, defaultRetention);
  const switched = row.settings.streams ?? {};
  // The incremental run syncs exactly the streams switched on in settings (auth always), so that is
  // what `enabled` reports, whatever a checkpoint row left over from an earlier setting says.
  const streamStatus = (stream: string, enabled: boolean): StreamStatus => {
    const checkpoint = checkpoints.find((candidate) => candidate.stream === stream);
    return {
      enabled,
      checkpointAt: checkpoint ? new Date(checkpoint.syncedThroughMs).toISOString() : null,
      newestEventAt: iso(checkpoint?.newestEventAt),
      events: checkpoint?.eventCount ?? 0,
    };
  };
  const newestAuthMs = checkpoints.find((candidate) => candidate.stream === 'auth')?.newestEventAt?.getTime();
  const intervalMinutes = row.settings.syncIntervalMinutes ?? defaultIntervalMinutes;
  const paused = schedule ? schedule.paused : row.schedulePaused;
  return {
    lastSyncAt: iso(row.lastSyncAt),
    // A paused schedule still lists future times, but none of them will start a run.
    nextSyncAt: schedule && !schedule.paused ? iso(schedule.nextActionAt) : null,
    lagSeconds: newestAuthMs === undefined ? null : Math.max(0, Math.floor((nowMs - newestAuthMs) / 1000)),
    streams: {
      auth: streamStatus('auth', true),
      telephony: streamStatus('telephony', switched.telephony === true),
      activity: streamStatus('activity', switched.activity === true),
      administrator: streamStatus('administrator', switched.administrator === true),
    },
    lastRun:
      row.lastRunOutcome && row.lastRunAt ? { outcome: row.lastRunOutcome, at: row.lastRunAt.toISOString() } : null,
    schedule: schedule
      ? {
          paused,
          // Temporal reports no note as an empty one; the document says null either way.
          note: schedule.note || null,
          intervalMinutes: schedule.intervalMs === undefined ? intervalMinutes : Math.max(1, Math.round(schedule.intervalMs / 60_000)),
          source: 'temporal',
        }
      : { paused, note: row.pauseNote, intervalMinutes, source: 'database' },
    retentionAlarm: row.retentionAlarmAt ? { since: row.retentionAlarmAt.toISOString() } : null,
    retention: {
      eventDays: retention.eventDays,
      rollupDays: retention.rollupDays,
      eventsKeptFrom: new Date(retentionCutoffMs(nowMs, retention.eventDays)).toISOString(),
      rollupsKeptFrom: new Date(retentionCutoffMs(nowMs, retention.rollupDays)).toISOString(),
    },
    settings: {
      syncIntervalMinutes: intervalMinutes,
      streams: {
        telephony: switched.telephony === true,
        activity: switched.activity === true,
        administrator: switched.administrator === true,
      },
      rosterRefreshHourUtc: row.settings.rosterRefreshHourUtc ?? null,
      eventRetentionDays: retention.eventDays,
    },
  };
}

function iso(value: Date | null | undefined): string | null {
  return value ? value.toISOString() : null;
}
