import { describe, expect, it } from 'vitest';
import { composeSyncStatus, type SyncStatusInputs, type SyncStatusRow } from '../../../integrations/sync-status.js';

const now = new Date('2026-07-01T12:00:00Z');

function row(overrides: Partial<SyncStatusRow> = {}): SyncStatusRow {
  return {
    settings: {},
    schedulePaused: false,
    pauseNote: null,
    lastRunOutcome: null,
    lastRunAt: null,
    lastSyncAt: null,
    retentionAlarmAt: null,
    ...overrides,
  };
}

function inputs(overrides: Partial<SyncStatusInputs> = {}): SyncStatusInputs {
  return { row: row(), checkpoints: [], schedule: undefined, defaultIntervalMinutes: 5, defaultRetention: { eventDays: 400, rollupDays: 800 }, nowMs: now.getTime(), ...overrides };
}

const authCheckpoint = (newestEventAt: Date | null) => ({
  stream: 'auth',
  syncedThroughMs: Date.parse('2026-07-01T11:55:00Z'),
  newestEventAt,
  eventCount: 1234,
});

describe('composeSyncStatus: lagSeconds', () => {
  it('is the whole seconds from the newest authentication event to now', () => {
    const status = composeSyncStatus(inputs({ checkpoints: [authCheckpoint(new Date(now.getTime() - 90_999))] }));
    expect(status.lagSeconds).toBe(90);
  });

  it('is null before any authentication event is stored', () => {
    expect(composeSyncStatus(inputs()).lagSeconds).toBeNull();
    expect(composeSyncStatus(inputs({ checkpoints: [authCheckpoint(null)] })).lagSeconds).toBeNull();
  });

  it('ignores other streams and never goes negative when clocks disagree', () => {
    const telephony = { ...authCheckpoint(new Date(now.getTime() - 1000)), stream: 'telephony' };
    expect(composeSyncStatus(inputs({ checkpoints: [telephony] })).lagSeconds).toBeNull();
    expect(composeSyncStatus(inputs({ checkpoints: [authCheckpoint(new Date(now.getTime() + 5000))] })).lagSeconds).toBe(0);
  });
});

describe('composeSyncStatus: streams', () => {
  it('reports each stream\'s checkpoint, newest event and count, and which streams settings switch on', () => {
    const status = composeSyncStatus(
      inputs({
        row: row({ settings: { streams: { telephony: true, activity: false } } }),
        checkpoints: [
          authCheckpoint(new Date('2026-07-01T11:54:00Z')),
          { stream: 'telephony', syncedThroughMs: Date.parse('2026-07-01T11:50:00Z'), newestEventAt: null, eventCount: 0 },
          // Left from an earlier setting: settings, not this row, decide what the next run syncs.
          { stream: 'activity', syncedThroughMs: Date.parse('2026-06-30T00:00:00Z'), newestEventAt: new Date('2026-06-29T23:00:00Z'), eventCount: 7 },
        ],
      }),
    );
    expect(status.streams).toEqual({
      auth: { enabled: true, checkpointAt: '2026-07-01T11:55:00.000Z', newestEventAt: '2026-07-01T11:54:00.000Z', events: 1234 },
      telephony: { enabled: true, checkpointAt: '2026-07-01T11:50:00.000Z', newestEventAt: null, events: 0 },
      activity: { enabled: false, checkpointAt: '2026-06-30T00:00:00.000Z', newestEventAt: '2026-06-29T23:00:00.000Z', events: 7 },
      administrator: { enabled: false, checkpointAt: null, newestEventAt: null, events: 0 },
    });
  });
});

describe('composeSyncStatus: runs', () => {
  it('shows the last run and the last successful sync', () => {
    const status = composeSyncStatus(
      inputs({
        row: row({ lastRunOutcome: 'failed', lastRunAt: new Date('2026-07-01T11:58:00Z'), lastSyncAt: new Date('2026-07-01T11:53:00Z') }),
      }),
    );
    expect(status.lastRun).toEqual({ outcome: 'failed', at: '2026-07-01T11:58:00.000Z' });
    expect(status.lastSyncAt).toBe('2026-07-01T11:53:00.000Z');
  });

  it('has no last run before the first one finished', () => {
    expect(composeSyncStatus(inputs()).lastRun).toBeNull();
    expect(composeSyncStatus(inputs({ row: row({ lastRunOutcome: 'completed' }) })).lastRun).toBeNull();
  });
});

describe('composeSyncStatus: schedule and next run', () => {
  it('takes the schedule from Temporal when it answered, with the next action as nextSyncAt', () => {
    const status = composeSyncStatus(
      inputs({
        row: row({ settings: { syncIntervalMinutes: 15 } }),
        schedule: { paused: false, note: 'Resumed by ops: done', nextActionAt: new Date('2026-07-01T12:04:00Z'), intervalMs: 10 * 60_000 },
      }),
    );
    expect(status.nextSyncAt).toBe('2026-07-01T12:04:00.000Z');
    // What Temporal runs, even where it has drifted from Postgres (reconciliation repairs that).
    expect(status.schedule).toEqual({ paused: false, note: 'Resumed by ops: done', intervalMinutes: 10, source: 'temporal' });
    expect(status.settings.syncIntervalMinutes).toBe(15);
  });

  it('has no next run while the schedule is paused', () => {
    const status = composeSyncStatus(
      inputs({ schedule: { paused: true, note: 'Paused by ops: x', nextActionAt: new Date('2026-07-01T12:04:00Z'), intervalMs: 300_000 } }),
    );
    expect(status.nextSyncAt).toBeNull();
    expect(status.schedule).toMatchObject({ paused: true, note: 'Paused by ops: x' });
  });

  it('falls back to the desired state in Postgres when Temporal was not asked or did not answer', () => {
    const status = composeSyncStatus(inputs({ row: row({ schedulePaused: true, pauseNote: 'Paused by duo-usage-sync: DUO_CREDENTIALS_REJECTED' }) }));
    expect(status.nextSyncAt).toBeNull();
    expect(status.schedule).toEqual({
      paused: true,
      note: 'Paused by duo-usage-sync: DUO_CREDENTIALS_REJECTED',
      intervalMinutes: 5,
      source: 'database',
    });
  });
});

describe('composeSyncStatus: retention alarm and settings', () => {
  it('shows since when the retention alarm is raised', () => {
    expect(composeSyncStatus(inputs()).retentionAlarm).toBeNull();
    expect(composeSyncStatus(inputs({ row: row({ retentionAlarmAt: new Date('2026-06-30T00:00:00Z') }) })).retentionAlarm).toEqual({
      since: '2026-06-30T00:00:00.000Z',
    });
  });

  it('shows the settings in effect: the service default interval and retention, streams off, no roster hour', () => {
    expect(composeSyncStatus(inputs({ defaultIntervalMinutes: 7 })).settings).toEqual({
      syncIntervalMinutes: 7,
      streams: { telephony: false, activity: false, administrator: false },
      rosterRefreshHourUtc: null,
      eventRetentionDays: 400,
    });
  });

  it('shows the tenant\'s own settings', () => {
    const settings = { syncIntervalMinutes: 1, streams: { administrator: true }, rosterRefreshHourUtc: 0, eventRetentionDays: 200 };
    expect(composeSyncStatus(inputs({ row: row({ settings }) })).settings).toEqual({
      syncIntervalMinutes: 1,
      streams: { telephony: false, activity: false, administrator: true },
      rosterRefreshHourUtc: 0,
      eventRetentionDays: 200,
    });
  });

  it('says what is kept: raw events and daily counts from UTC midnight of their retention', () => {
    expect(composeSyncStatus(inputs()).retention).toEqual({
      eventDays: 400,
      rollupDays: 800,
      eventsKeptFrom: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 400)).toISOString(),
      rollupsKeptFrom: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 800)).toISOString(),
    });
  });

  it("keeps a tenant's daily counts at least as long as its raw events", () => {
    const retention = composeSyncStatus(inputs({ row: row({ settings: { eventRetentionDays: 1000 } }) })).retention;
    expect(retention).toMatchObject({ eventDays: 1000, rollupDays: 1000 });
  });
});
