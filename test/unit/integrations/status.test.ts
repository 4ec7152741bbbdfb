import { describe, expect, it } from 'vitest';
import {
  composeIntegrationStatus,
  countBackfillWindows,
  estimateCompletion,
  maskIntegrationKey,
  type StatusInputs,
  type StatusRow,
} from '../../../integrations/status.js';

const DAY = 86_400_000;
const anchorAt = new Date('2026-06-30T00:00:00Z');
const startedAt = new Date('2026-06-30T00:05:00Z');
const secretSealed = 'v1.k1.aaaa.bbbb.cccc';

function row(overrides: Partial<StatusRow> = {}): StatusRow {
  return {
    tenantId: 'acme',
    apiHost: 'api-1a2b3c4d.duosecurity.com',
    integrationKey: 'DIABCDEFGHIJ0123WXYZ',
    status: 'syncing',
    lastErrorCode: null,
    lastErrorMessage: null,
    anchorAt,
    backfillStartAt: new Date(anchorAt.getTime() - 10 * DAY),
    initialSyncWorkflowId: 'duo-initial-sync:acme',
    initialSyncRunId: 'run-1',
    initialSyncState: 'running',
    initialSyncPhase: 'roster',
    initialSyncStartedAt: startedAt,
    initialSyncCompletedAt: null,
    connectedAt: startedAt,
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

function inputs(overrides: Partial<StatusInputs> = {}): StatusInputs {
  return {
    row: row(),
    counts: { users: 12, groups: 3, authEvents: 450 },
    checkpoints: [
      {
        stream: 'auth',
        syncedThroughMs: anchorAt.getTime(),
        oldestEventAt: new Date('2026-06-25T10:00:00Z'),
        newestEventAt: new Date('2026-06-29T23:00:00Z'),
        eventCount: 450,
      },
    ],
    backfill: { windowsDone: 0, windowsKnown: 0, oldestDoneWindowStartMs: null },
    progress: undefined,
    schedule: undefined,
    defaultIntervalMinutes: 5,
    defaultRetention: { eventDays: 400, rollupDays: 800 },
    nowMs: startedAt.getTime() + 60_000,
    ...overrides,
  };
}

describe('maskIntegrationKey', () => {
  it('keeps the first two and last four characters', () => {
    expect(maskIntegrationKey('DIABCDEFGHIJ0123WXYZ')).toBe('DI…WXYZ');
  });

  it('shows nothing of a key too short to mask', () => {
    expect(maskIntegrationKey('DIWXYZ')).toBe('…');
  });
});

describe('countBackfillWindows', () => {
  it('counts one window per day, a partial day included', () => {
    expect(countBackfillWindows(10 * DAY, 0)).toBe(10);
    expect(countBackfillWindows(10 * DAY + 1, 0)).toBe(11);
    expect(countBackfillWindows(0, 0)).toBe(0);
  });
});

describe('estimateCompletion', () => {
  it('is unknown before the first window is done', () => {
    expect(estimateCompletion({ startedAtMs: 0, nowMs: 1000, windowsDone: 0, windowsTotal: 10 })).toBeNull();
  });

  it('extrapolates the time per window over the windows left', () => {
    const eta = estimateCompletion({ startedAtMs: 0, nowMs: 4 * 60_000, windowsDone: 2, windowsTotal: 10 });
    expect(eta?.getTime()).toBe(4 * 60_000 + 8 * 2 * 60_000);
  });

  it('is now when every window is done but the run has not finished', () => {
    expect(estimateCompletion({ startedAtMs: 0, nowMs: 5000, windowsDone: 10, windowsTotal: 10 })?.getTime()).toBe(5000);
  });
});

describe('composeIntegrationStatus', () => {
  it('composes the document from Postgres alone', () => {
    expect(composeIntegrationStatus(inputs())).toEqual({
      tenantId: 'acme',
      status: 'syncing',
      apiHost: 'api-1a2b3c4d.duosecurity.com',
      integrationKey: 'DI…WXYZ',
      connectedAt: '2026-06-30T00:05:00.000Z',
      anchorAt: '2026-06-30T00:00:00.000Z',
      initialSync: {
        state: 'running',
        phase: 'roster',
        workflowId: 'duo-initial-sync:acme',
        runId: 'run-1',
        oldestEventAt: '2026-06-25T10:00:00.000Z',
        newestEventAt: '2026-06-29T23:00:00.000Z',
        startedAt: '2026-06-30T00:05:00.000Z',
        completedAt: null,
        estimatedCompletionAt: null,
        backfill: { windowsDone: 0, windowsTotal: 10, startAt: '2026-06-20T00:00:00.000Z', reachedBackAt: null },
        progressSource: 'database',
      },
      counts: { users: 12, groups: 3, authEvents: 450 },
      lastError: null,
      lastSyncAt: null,
      nextSyncAt: null,
      lagSeconds: 60 * 60 + 5 * 60 + 60,
      streams: {
        auth: { enabled: true, checkpointAt: '2026-06-30T00:00:00.000Z', newestEventAt: '2026-06-29T23:00:00.000Z', events: 450 },
        telephony: { enabled: false, checkpointAt: null, newestEventAt: null, events: 0 },
        activity: { enabled: false, checkpointAt: null, newestEventAt: null, events: 0 },
        administrator: { enabled: false, checkpointAt: null, newestEventAt: null, events: 0 },
      },
      lastRun: null,
      schedule: { paused: false, note: null, intervalMinutes: 5, source: 'database' },
      optionalGrants: { readInformation: null, readApplications: null },
      account: null,
      lateArrivals: { lookbackHours: 24, everyMinutes: 1440, lastSweptAt: null, lastFound: 0, totalFound: 0 },
      retentionAlarm: null,
      webhook: { url: null, source: 'none', secretSet: false, signed: false },
      retention: { eventDays: 400, rollupDays: 800, eventsKeptFrom: '2025-05-26T00:00:00.000Z', rollupsKeptFrom: '2024-04-21T00:00:00.000Z' },
      purge: null,
      settings: {
        syncIntervalMinutes: 5,
        streams: { telephony: false, activity: false, administrator: false },
        rosterRefreshHourUtc: null,
        eventRetentionDays: 400,
      },
    });
  });

  it("shows a purge's phase and rows deleted per table, and null key and host on the tombstone", () => {
    const document = composeIntegrationStatus(
      inputs({
        row: { ...row(), status: 'disconnected', apiHost: null, integrationKey: null },
        purge: {
          tenantId: 'acme', workflowId: 'duo-tenant-purge:acme', phase: 'done', deleted: { duo_auth_events: 450, duo_users: 12 }, rowsDeleted: 462,
          startedAt: new Date('2026-07-01T00:00:00Z'), updatedAt: new Date('2026-07-01T00:01:00Z'), completedAt: new Date('2026-07-01T00:01:00Z'),
        },
      }),
    );
    expect(document).toMatchObject({
      apiHost: null,
      integrationKey: null,
      purge: {
        phase: 'done', workflowId: 'duo-tenant-purge:acme', startedAt: '2026-07-01T00:00:00.000Z', completedAt: '2026-07-01T00:01:00.000Z',
        rowsDeleted: 462, deleted: { duo_auth_events: 450, duo_users: 12 },
      },
    });
  });

  it('never carries the integration key in clear, nor a sealed secret handed in by mistake', () => {
    const withSecret = { ...row(), secretKeySealed: secretSealed };
    const text = JSON.stringify(composeIntegrationStatus(inputs({ row: withSecret })));
    expect(text).not.toContain('DIABCDEFGHIJ0123WXYZ');
    expect(text).not.toContain(secretSealed);
  });

  it('takes the phase and reach from the running workflow and estimates completion', () => {
    const document = composeIntegrationStatus(
      inputs({
        nowMs: startedAt.getTime() + 4 * 60_000,
        backfill: { windowsDone: 2, windowsKnown: 3, oldestDoneWindowStartMs: anchorAt.getTime() - 2 * DAY },
        progress: {
          tenantId: 'acme',
          phase: 'auth_logs',
          totals: { users: 12, groups: 3, events: 450, windowsDone: 2 },
          windowsTotal: 10,
          reachedBackMs: anchorAt.getTime() - 3 * DAY,
          anchorMs: anchorAt.getTime(),
          backfillStartMs: anchorAt.getTime() - 10 * DAY,
        },
      }),
    );
    expect(document.initialSync.phase).toBe('auth_logs');
    expect(document.initialSync.progressSource).toBe('workflow');
    expect(document.initialSync.backfill).toMatchObject({ windowsDone: 2, reachedBackAt: '2026-06-27T00:00:00.000Z' });
    expect(document.initialSync.estimatedCompletionAt).toBe(new Date(startedAt.getTime() + 4 * 60_000 + 8 * 2 * 60_000).toISOString());
  });

  it('reports a completed sync without an estimate and a failure as lastError', () => {
    const done = composeIntegrationStatus(
      inputs({
        row: row({ status: 'active', initialSyncState: 'completed', initialSyncPhase: 'done', initialSyncCompletedAt: anchorAt }),
        backfill: { windowsDone: 10, windowsKnown: 10, oldestDoneWindowStartMs: 0 },
      }),
    );
    expect(done.initialSync).toMatchObject({ state: 'completed', estimatedCompletionAt: null, completedAt: anchorAt.toISOString() });

    const failed = composeIntegrationStatus(
      inputs({
        row: row({
          status: 'needs_attention',
          initialSyncState: 'failed',
          lastErrorCode: 'DUO_CREDENTIALS_REJECTED',
          lastErrorMessage: 'Duo rejected the credentials',
        }),
      }),
    );
    expect(failed.status).toBe('needs_attention');
    expect(failed.lastError).toEqual({ code: 'DUO_CREDENTIALS_REJECTED', message: 'Duo rejected the credentials' });
    expect(failed.initialSync.estimatedCompletionAt).toBeNull();
  });
});

describe('composeIntegrationStatus: optional grants and the late-arrival sweep', () => {
  it('shows the grants, the account summary once fetched, and what the sweeps found', () => {
    const fetchedAt = new Date('2026-06-30T01:00:00.000Z');
    const doc = composeIntegrationStatus({
      ...inputs(),
      accountFacts: {
        tenantId: 'acme', readInformation: true, readApplications: false, grantsCheckedAt: fetchedAt,
        userCount: 52, adminCount: 3, integrationCount: 9, userPendingDeletionCount: 2, summaryFetchedAt: fetchedAt, catalogueFetchedAt: null,
      },
      lateSweep: {
        row: { tenantId: 'acme', lastSweptAt: fetchedAt, windowStartMs: null, windowEndMs: null, cursor: null, lateEventsFound: 7, lastFound: 3, updatedAt: fetchedAt },
        lookbackHours: 12,
        everyMinutes: 60,
      },
    });
    expect(doc.optionalGrants).toEqual({ readInformation: true, readApplications: false });
    expect(doc.account).toEqual({ userCount: 52, adminCount: 3, integrationCount: 9, usersPendingDeletion: 2, fetchedAt: fetchedAt.toISOString() });
    expect(doc.lateArrivals).toEqual({ lookbackHours: 12, everyMinutes: 60, lastSweptAt: fetchedAt.toISOString(), lastFound: 3, totalFound: 7 });
  });
});

