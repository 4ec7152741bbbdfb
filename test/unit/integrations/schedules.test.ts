import { ScheduleOverlapPolicy, type ScheduleOptions, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import { msToNumber, type Duration, type SearchAttributePair } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { desiredSchedule } from '../../../integrations/schedules.js';
import type { IntegrationRow } from '../../../db/integrations.js';
import { testConfig } from '../../helpers/config.js';

const MINUTE = 60_000;
const at = new Date('2026-06-30T00:00:00Z');
// The service default (5 minutes), not the test env's 24 hours.
const config = testConfig({ SYNC_INTERVAL_MINUTES: undefined });

function integration(overrides: Partial<IntegrationRow> = {}): IntegrationRow {
  return {
    tenantId: 'acme',
    apiHost: 'api-1a2b3c4d.duosecurity.com',
    integrationKey: 'DIABCDEFGHIJ0123WXYZ',
    secretKeySealed: 'v1.k1.aaaa.bbbb.cccc',
    encryptionKeyId: 'k1',
    status: 'active',
    lastErrorCode: null,
    lastErrorMessage: null,
    lastErrorAt: null,
    anchorAt: at,
    backfillStartAt: new Date(at.getTime() - 10 * 1440 * MINUTE),
    initialSyncWorkflowId: 'duo-initial-sync:acme',
    initialSyncRunId: 'run-1',
    initialSyncState: 'completed',
    initialSyncPhase: 'done',
    initialSyncStartedAt: at,
    initialSyncCompletedAt: at,
    settings: {},
    schedulePaused: false,
    pauseNote: null,
    consecutiveFailures: 0,
    lastRunOutcome: null,
    lastRunAt: null,
    lastSyncAt: null,
    lastRosterSyncAt: null,
    retentionAlarmAt: null,
    connectedAt: at,
    disconnectedAt: null,
    purgedAt: null,
    updatedAt: at,
    scheduleDesiredVersion: 1,
    scheduleReconciledVersion: 0,
    ...overrides,
  };
}

const everyMs = (schedule: ScheduleOptions) => {
  expect(schedule.spec.intervals).toHaveLength(1);
  return msToNumber(schedule.spec.intervals?.[0]?.every ?? 0);
};
const durationMs = (value: Duration | undefined) => (value === undefined ? undefined : msToNumber(value));
const action = (schedule: ScheduleOptions) => schedule.action as ScheduleOptionsStartWorkflowAction<never>;
const tenantAttribute = (pairs: ScheduleOptions['typedSearchAttributes']) =>
  (pairs as SearchAttributePair[] | undefined)?.map((pair) => ({ name: pair.key.name, type: pair.key.type, value: pair.value }));

describe('the incremental schedule derived from an integration', () => {
  it('is named duo-incremental:{tenantId}', () => {
    expect(desiredSchedule(config, integration({ tenantId: 'acme-eu' })).scheduleId).toBe('duo-incremental:acme-eu');
  });

  it('runs every 5 minutes by default', () => {
    expect(everyMs(desiredSchedule(config, integration()))).toBe(5 * MINUTE);
  });

  it('follows the service default when the tenant has no interval of its own', () => {
    const hourly = testConfig({ SYNC_INTERVAL_MINUTES: '60' });
    expect(everyMs(desiredSchedule(hourly, integration()))).toBe(60 * MINUTE);
  });

  it.each([1, 1440])('runs at the tenant\'s own interval of %i minutes', (minutes) => {
    expect(everyMs(desiredSchedule(config, integration({ settings: { syncIntervalMinutes: minutes } })))).toBe(minutes * MINUTE);
  });

  it.each([1, 5, 1440])('jitters runs at an interval of %i minutes by less than one interval', (minutes) => {
    const schedule = desiredSchedule(config, integration({ settings: { syncIntervalMinutes: minutes } }));
    const jitter = durationMs(schedule.spec.jitter) ?? 0;
    expect(jitter).toBeGreaterThan(0);
    expect(jitter).toBeLessThan(minutes * MINUTE);
  });

  it('skips a run while the previous one is still going', () => {
    expect(desiredSchedule(config, integration()).policies?.overlap).toBe(ScheduleOverlapPolicy.SKIP);
  });

  it.each([1, 5, 1440])('has an explicit catch-up window at an interval of %i minutes, at least a minute and at most a day', (minutes) => {
    // Unset, the server default is a year: a long outage would end in a burst of catch-up runs.
    const window = durationMs(desiredSchedule(config, integration({ settings: { syncIntervalMinutes: minutes } })).policies?.catchupWindow);
    expect(window).toBeGreaterThanOrEqual(MINUTE);
    expect(window).toBeLessThanOrEqual(1440 * MINUTE);
  });

  it('carries the TenantId search attribute on the schedule and on the runs it starts', () => {
    const schedule = desiredSchedule(config, integration());
    const expected = [{ name: 'TenantId', type: 'KEYWORD', value: 'acme' }];
    expect(tenantAttribute(schedule.typedSearchAttributes)).toEqual(expected);
    expect(tenantAttribute(action(schedule).typedSearchAttributes)).toEqual(expected);
  });

  it('starts the incrementalSync workflow for the tenant with a readable summary naming it', () => {
    const started = action(desiredSchedule(config, integration()));
    expect(started).toMatchObject({ type: 'startWorkflow', workflowType: 'incrementalSync', taskQueue: config.TEMPORAL_TASK_QUEUE, args: [{ tenantId: 'acme' }] });
    expect(started.staticSummary).toMatch(/incremental.*acme/i);
  });

  it('has a readable summary of its own in the schedule memo, naming the tenant', () => {
    // Schedules have no summary field; the memo is what the UI and `schedule describe` show.
    const memo = desiredSchedule(config, integration()).memo;
    expect(memo?.summary).toEqual(expect.stringMatching(/incremental.*acme/i));
  });

  it('bounds each run with a run timeout, so a hung run cannot hold SKIP forever', () => {
    const timeout = durationMs(action(desiredSchedule(config, integration())).workflowRunTimeout);
    expect(timeout).toBeGreaterThan(0);
    expect(timeout).toBeLessThanOrEqual(24 * 60 * MINUTE);
  });

  it('never puts the secret or the integration key into the schedule', () => {
    const text = JSON.stringify(desiredSchedule(config, integration()));
    expect(text).not.toContain('v1.k1.aaaa');
    expect(text).not.toContain('DIABCDEFGHIJ0123WXYZ');
  });

  it('is created paused, with its note, when the integration is paused', () => {
    const schedule = desiredSchedule(config, integration({ schedulePaused: true, pauseNote: 'Paused by ops: audit' }));
    expect(schedule.state).toMatchObject({ paused: true, note: 'Paused by ops: audit' });
  });
});
