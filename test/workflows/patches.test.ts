import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { BACKFILL_WINDOW_MS, incrementalTaskQueue } from '../../workflows/definitions.js';
import { ACTIVITIES_ON_INCREMENTAL_QUEUE, INCREMENTAL_ONE_ACTIVITY, LATE_LOG_SWEEP, type incrementalSync } from '../../workflows/incremental-sync.js';
import { BUDGET_WAIT_ON_TIMER, INITIAL_SYNC_WAITS_WHILE_PAUSED, type initialSync } from '../../workflows/initial-sync.js';
import { NOTIFY_IN_OWN_WORKFLOW } from '../../workflows/notification-delivery.js';
import { fakeActivities } from '../helpers/fake-activities.js';
import { activitiesScheduledInReplay, bundleWorkflowsObservingActivities, bundleWorkflowsWithoutOldBranches } from '../helpers/workflow-bundles.js';
import { workflowTestHarness } from '../helpers/workflow-environment.js';
import { patchMarkers, recordedHistory, scheduledActivities, workflowTaskQueue, type History } from '../helpers/workflow-history.js';

const tenantId = 'patched-tenant';
const anchorMs = Date.UTC(2026, 10, 20);

/**
 * Each `patched()` both ways: new executions take the new branch (and record the patch marker);
 * histories recorded before the patch (test/fixtures/histories/*.before-<patch>.json) replay
 * through the old one.
 */
describe('patched() branches of the sync workflows', () => {
  const harness = workflowTestHarness();

  const history = (workflowId: string): Promise<History> => harness.client.workflow.getHandle(workflowId).fetchHistory();

  describe(NOTIFY_IN_OWN_WORKFLOW, () => {
    it('a new initial sync hands its completion to the delivery workflow and records the patch', async () => {
      const fakes = fakeActivities();
      const workflowId = `duo-initial-sync:${tenantId}-${Date.now()}`;
      await harness.withWorker(fakes.activities, (taskQueue) =>
        harness.client.workflow.execute<typeof initialSync>('initialSync', { workflowId, taskQueue, args: [{ tenantId, anchorMs, backfillStartMs: anchorMs - BACKFILL_WINDOW_MS }] }),
      );

      expect(patchMarkers(await history(workflowId))).toEqual([INITIAL_SYNC_WAITS_WHILE_PAUSED, BUDGET_WAIT_ON_TIMER, NOTIFY_IN_OWN_WORKFLOW]);
      expect(fakes.argsOf('startNotificationDelivery')).toHaveLength(1);
      expect(fakes.argsOf('sendNotification')).toEqual([]);
    });

    it('an initial sync recorded before the patch replays through the inline webhook it sent', async () => {
      const { history: recorded } = await recordedHistory('initial-sync.before-notify-in-own-workflow');
      expect(patchMarkers(recorded)).toEqual([]);
      expect(scheduledActivities(recorded).map((activity) => activity.type).slice(-2)).toEqual(['completeInitialSync', 'sendNotification']);

      const replayed = await activitiesScheduledInReplay(await bundleWorkflowsObservingActivities(), recorded);
      expect(replayed.map((activity) => activity.type)).toEqual(scheduledActivities(recorded).map((activity) => activity.type));
    });

    it('code without the old branch cannot replay the initial sync recorded before the patch', async () => {
      const { history: recorded } = await recordedHistory('initial-sync.before-notify-in-own-workflow');
      await expect(Worker.runReplayHistory({ workflowBundle: await bundleWorkflowsWithoutOldBranches() }, recorded)).rejects.toBeInstanceOf(DeterminismViolationError);
    });
  });

  describe(ACTIVITIES_ON_INCREMENTAL_QUEUE, () => {
    it('a new incremental run schedules every activity on the incremental queue and records the patch', async () => {
      const fakes = fakeActivities({
        beginIncrementalRun: async () => ({ streams: ['auth'], rosterDue: true }),
        finishIncrementalRun: async () => ({ consecutiveFailures: 0, pauseNow: false, notifications: [{ type: 'sync.recovered', tenantId, at: new Date(anchorMs).toISOString(), details: { afterFailures: 1 } }] }),
      });
      const workflowId = `duo-incremental:${tenantId}-${Date.now()}`;
      const taskQueue = await harness.withWorker(fakes.activities, async (queue) => {
        await harness.client.workflow.execute<typeof incrementalSync>('incrementalSync', { workflowId, taskQueue: queue, args: [{ tenantId }] });
        return queue;
      });

      expect(patchMarkers(await history(workflowId))).toEqual([ACTIVITIES_ON_INCREMENTAL_QUEUE, INCREMENTAL_ONE_ACTIVITY, NOTIFY_IN_OWN_WORKFLOW]);
      expect(fakes.calls.map((call) => call.name)).toEqual(['runIncrementalSync', 'beginIncrementalRun', 'syncLogIncrement', 'syncRoster', 'finishIncrementalRun', 'startNotificationDelivery']);
      expect(new Set(fakes.calls.map((call) => call.taskQueue))).toEqual(new Set([incrementalTaskQueue(taskQueue)]));
    });

    it('an incremental run recorded before the patch replays with every activity on the workflow\'s own queue', async () => {
      const { history: recorded } = await recordedHistory('incremental-sync.before-activities-on-incremental-queue');
      expect(patchMarkers(recorded)).toEqual([]);
      expect(new Set(scheduledActivities(recorded).map((activity) => activity.taskQueue))).toEqual(new Set([workflowTaskQueue(recorded)]));

      const replayed = await activitiesScheduledInReplay(await bundleWorkflowsObservingActivities(), recorded);
      expect(replayed.map((activity) => activity.type)).toEqual(scheduledActivities(recorded).map((activity) => activity.type));
      expect(replayed.map((activity) => activity.taskQueue)).toEqual(replayed.map(() => undefined));
    });
  });
  describe(LATE_LOG_SWEEP, () => {
    const runIncremental = async (plan: { lateSweepDue?: boolean }) => {
      // Roster due: the run goes step by step after its whole-run activity, where this patch is checked.
      const fakes = fakeActivities({ beginIncrementalRun: async () => ({ streams: ['auth'], rosterDue: true, ...plan }) });
      const workflowId = `duo-incremental:${tenantId}-${Date.now()}`;
      await harness.withWorker(fakes.activities, (queue) =>
        harness.client.workflow.execute<typeof incrementalSync>('incrementalSync', { workflowId, taskQueue: queue, args: [{ tenantId }] }),
      );
      return { fakes, markers: patchMarkers(await history(workflowId)) };
    };

    it('a new incremental run whose plan has the sweep due sweeps after the streams, records the patch and counts what it found', async () => {
      const { fakes, markers } = await runIncremental({ lateSweepDue: true });
      expect(markers).toContain(LATE_LOG_SWEEP);
      expect(fakes.calls.map((call) => call.name)).toEqual(['runIncrementalSync', 'beginIncrementalRun', 'syncLogIncrement', 'sweepLateLogs', 'syncRoster', 'finishIncrementalRun']);
      expect(fakes.argsOf('finishIncrementalRun')[0]?.[1]).toMatchObject({ outcome: 'completed', counts: { auth: 5, lateAuth: 2 } });
    });

    it('a run whose plan lacks the field (planned before the sweep existed) schedules no sweep and records no patch', async () => {
      const { fakes, markers } = await runIncremental({});
      expect(markers).not.toContain(LATE_LOG_SWEEP);
      expect(fakes.calls.map((call) => call.name)).not.toContain('sweepLateLogs');
    });
  });

  describe(INCREMENTAL_ONE_ACTIVITY, () => {
    it('a new auth-only run with nothing else due is one activity in its history and records the patch', async () => {
      const fakes = fakeActivities({ beginIncrementalRun: async () => ({ streams: ['auth'], rosterDue: false, lateSweepDue: true }) });
      const workflowId = `duo-incremental:${tenantId}-${Date.now()}`;
      const result = await harness.withWorker(fakes.activities, (queue) =>
        harness.client.workflow.execute<typeof incrementalSync>('incrementalSync', { workflowId, taskQueue: queue, args: [{ tenantId }] }),
      );

      const recorded = await history(workflowId);
      expect(patchMarkers(recorded)).toContain(INCREMENTAL_ONE_ACTIVITY);
      expect(scheduledActivities(recorded).map((activity) => activity.type)).toEqual(['runIncrementalSync']);
      expect(result).toEqual({ counts: { auth: 5, lateAuth: 2 } });
    });

    it('an incremental run recorded before the patch replays through its step-by-step activities', async () => {
      const { history: recorded } = await recordedHistory('incremental-sync.before-incremental-one-activity');
      expect(patchMarkers(recorded)).not.toContain(INCREMENTAL_ONE_ACTIVITY);
      expect(scheduledActivities(recorded).map((activity) => activity.type)[0]).toBe('beginIncrementalRun');

      const replayed = await activitiesScheduledInReplay(await bundleWorkflowsObservingActivities(), recorded);
      expect(replayed.map((activity) => activity.type)).toEqual(scheduledActivities(recorded).map((activity) => activity.type));
    });

    it('code without the old branch cannot replay the incremental run recorded before the patch', async () => {
      const { history: recorded } = await recordedHistory('incremental-sync.before-incremental-one-activity');
      await expect(Worker.runReplayHistory({ workflowBundle: await bundleWorkflowsWithoutOldBranches() }, recorded)).rejects.toBeInstanceOf(DeterminismViolationError);
    });
  });

  describe(BUDGET_WAIT_ON_TIMER, () => {
    it('a new initial sync asks its windows to hand back their slot while the budget makes them wait, and records the patch', async () => {
      const fakes = fakeActivities();
      const workflowId = `duo-initial-sync:${tenantId}-${Date.now()}`;
      await harness.withWorker(fakes.activities, (taskQueue) =>
        harness.client.workflow.execute<typeof initialSync>('initialSync', { workflowId, taskQueue, args: [{ tenantId, anchorMs, backfillStartMs: anchorMs - 2 * BACKFILL_WINDOW_MS }] }),
      );

      expect(patchMarkers(await history(workflowId))).toContain(BUDGET_WAIT_ON_TIMER);
      expect(fakes.argsOf('syncAuthLogWindow').map(([window]) => window.yieldOnBudgetWait)).toEqual([true, true]);
    });

    it('an initial sync recorded before the patch replays, its windows having waited inside their activity', async () => {
      const { history: recorded } = await recordedHistory('initial-sync.before-backfill-budget-wait-on-timer');
      expect(patchMarkers(recorded)).not.toContain(BUDGET_WAIT_ON_TIMER);

      const replayed = await activitiesScheduledInReplay(await bundleWorkflowsObservingActivities(), recorded);
      expect(replayed.map((activity) => activity.type)).toEqual(scheduledActivities(recorded).map((activity) => activity.type));
    });
  });
});
