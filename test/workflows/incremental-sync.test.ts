import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { Activities } from '../../activities/index.js';
import { DuoCredentialsRejectedError, DuoRateLimitedError } from '../../duo/errors.js';
import { INCREMENTAL_MAX_ATTEMPTS } from '../../workflows/activity-options.js';
import type { incrementalSync } from '../../workflows/incremental-sync.js';
import { notificationDeliveryWorkflowId } from '../../workflows/notification-delivery.js';
import type { Notification } from '../../workflows/notifications.js';
import type { RunRef } from '../../workflows/types.js';
import { fakeActivities, type FakeActivities } from '../helpers/fake-activities.js';
import { waitFor } from '../helpers/waiting.js';
import { workflowTestHarness } from '../helpers/workflow-environment.js';

const tenantId = 'fake-tenant';
const logsEndpoint = { status: 401, duoCode: 40103, endpoint: '/admin/v2/logs/authentication' };
const failing: Notification = { type: 'sync.failing', tenantId, at: '2026-11-20T00:00:00.000Z', details: { code: 'DUO_CREDENTIALS_REJECTED', consecutiveFailures: 1 } };

describe('incrementalSync (workflow code, fake activities)', () => {
  const harness = workflowTestHarness();

  /** Runs one incremental run to its end on fresh queues; `cancel` cancels it once an increment is paging. */
  async function runIncremental(fakes: FakeActivities, options: { cancel?: boolean } = {}) {
    const workflowId = `duo-incremental:${tenantId}-${Math.random().toString(36).slice(2)}`;
    return harness.withWorker(fakes.activities, async (taskQueue) => {
      const handle = await harness.client.workflow.start<typeof incrementalSync>('incrementalSync', { workflowId, taskQueue, args: [{ tenantId }] });
      if (options.cancel) {
        await waitFor('an increment to be paging', async () => fakes.argsOf('syncLogIncrement').length > 0);
        await handle.cancel();
      }
      const outcome = await handle.result().then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({ result: undefined, error }),
      );
      const run: RunRef = { tenantId, workflowId, runId: handle.firstExecutionRunId };
      return { ...outcome, run, status: (await handle.describe()).status.name };
    });
  }

  function failedWith(error: unknown): ApplicationFailure {
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    return cause as ApplicationFailure;
  }

  const finishFailed = (outcome: Partial<Awaited<ReturnType<Activities['finishIncrementalRun']>>>): Activities['finishIncrementalRun'] =>
    async (_run, result) => ({ consecutiveFailures: 1, pauseNow: false, notifications: result.outcome === 'failed' ? [failing] : [], ...outcome });

  it('records a non-retryable activity failure, pauses the schedule for attention, hands off the run\'s notifications and ends failed with its code', async () => {
    const fakes = fakeActivities({
      syncLogIncrement: async () => {
        throw new DuoCredentialsRejectedError(logsEndpoint);
      },
      finishIncrementalRun: finishFailed({}),
    });
    const { error, run } = await runIncremental(fakes);

    expect(failedWith(error)).toMatchObject({ type: 'DUO_CREDENTIALS_REJECTED', nonRetryable: true });
    const failure = { code: 'DUO_CREDENTIALS_REJECTED', message: expect.stringContaining('Duo rejected the credentials') };
    expect(fakes.argsOf('finishIncrementalRun')).toEqual([[run, { outcome: 'failed', counts: {}, error: failure }]]);
    expect(fakes.argsOf('pauseForAttention')).toEqual([[tenantId, failure]]);
    expect(fakes.argsOf('startNotificationDelivery')).toEqual([
      [{ workflowId: notificationDeliveryWorkflowId(tenantId, run.runId), tenantId, notifications: [failing] }],
    ]);
    expect(fakes.calls.filter((call) => call.name === 'syncLogIncrement').map((call) => call.attempt)).toEqual([1]);
  });

  it('ends failed without pausing when a retryable failure outlasts the run\'s attempts below the failure threshold', async () => {
    const fakes = fakeActivities({
      syncLogIncrement: async () => {
        throw new DuoRateLimitedError(logsEndpoint, 50);
      },
      finishIncrementalRun: finishFailed({ pauseNow: false }),
    });
    const { error, run } = await runIncremental(fakes);

    expect(failedWith(error)).toMatchObject({ type: 'DUO_RATE_LIMITED', nonRetryable: true });
    expect(fakes.calls.filter((call) => call.name === 'syncLogIncrement')).toHaveLength(INCREMENTAL_MAX_ATTEMPTS);
    expect(fakes.argsOf('finishIncrementalRun')).toEqual([[run, { outcome: 'failed', counts: {}, error: { code: 'DUO_RATE_LIMITED', message: expect.any(String) } }]]);
    expect(fakes.argsOf('pauseForAttention')).toEqual([]);
    expect(fakes.argsOf('startNotificationDelivery')).toHaveLength(1);
  });

  it('pauses the schedule for a retryable failure once the failure streak reaches its threshold', async () => {
    const fakes = fakeActivities({
      syncLogIncrement: async () => {
        throw new DuoRateLimitedError(logsEndpoint, 50);
      },
      finishIncrementalRun: finishFailed({ consecutiveFailures: 3, pauseNow: true }),
    });
    const { error } = await runIncremental(fakes);

    expect(failedWith(error)).toMatchObject({ type: 'DUO_RATE_LIMITED' });
    expect(fakes.argsOf('pauseForAttention')).toEqual([[tenantId, { code: 'DUO_RATE_LIMITED', message: expect.any(String) }]]);
  });

  it('records a cancelled run with the counts so far, and the workflow ends cancelled', async () => {
    const fakes = fakeActivities({
      beginIncrementalRun: async () => ({ streams: ['auth', 'telephony'], rosterDue: false }),
      syncLogIncrement: async ({ stream }) => {
        if (stream === 'auth') return { events: 5, pages: 1, caughtUp: true, syncedThroughMs: 0 };
        for (;;) {
          Context.current().heartbeat();
          await Context.current().sleep(50);
        }
      },
    });
    const { error, run, status } = await runIncremental(fakes, { cancel: true });

    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(status).toBe('CANCELLED');
    expect(fakes.argsOf('recordRunCancelled')).toEqual([[run, { auth: 5 }]]);
    expect(fakes.argsOf('finishIncrementalRun')).toEqual([]);
  });

  it('does a common run (auth only, roster not due) in one activity: plans, pages auth until caught up, sweeps when due, records the outcome', async () => {
    let increments = 0;
    const fakes = fakeActivities({
      beginIncrementalRun: async () => ({ streams: ['auth'], rosterDue: false, lateSweepDue: true }),
      syncLogIncrement: async () => ({ events: 5, pages: 1, caughtUp: ++increments === 2, syncedThroughMs: 0 }),
    });
    const { result, run } = await runIncremental(fakes);

    expect(result).toEqual({ counts: { auth: 10, lateAuth: 2 } });
    expect(fakes.calls.map((call) => call.name)).toEqual(['runIncrementalSync', 'beginIncrementalRun', 'syncLogIncrement', 'syncLogIncrement', 'sweepLateLogs', 'finishIncrementalRun']);
    expect(fakes.argsOf('finishIncrementalRun')).toEqual([[run, { outcome: 'completed', counts: { auth: 10, lateAuth: 2 } }]]);
  });

  it('goes on step by step from the plan the whole-run activity returned when the run needs more than auth, without planning twice', async () => {
    const fakes = fakeActivities({ beginIncrementalRun: async () => ({ streams: ['auth', 'telephony'], rosterDue: true }) });
    const { result } = await runIncremental(fakes);

    expect(result).toEqual({ counts: { auth: 5, telephony: 5, users: 3, usersMarkedDeleted: 0 } });
    expect(fakes.calls.map((call) => call.name)).toEqual(['runIncrementalSync', 'beginIncrementalRun', 'syncLogIncrement', 'syncLogIncrement', 'syncRoster', 'finishIncrementalRun']);
  });

  it('retries the whole-run activity after a transient failure, and the retry finishes the run once', async () => {
    let attempts = 0;
    const fakes = fakeActivities({
      syncLogIncrement: async () => {
        if (++attempts === 1) throw new DuoRateLimitedError(logsEndpoint, 50);
        return { events: 5, pages: 1, caughtUp: true, syncedThroughMs: 0 };
      },
    });
    const { result, run } = await runIncremental(fakes);

    expect(result).toEqual({ counts: { auth: 5 } });
    expect(fakes.calls.filter((call) => call.name === 'runIncrementalSync').map((call) => call.attempt)).toEqual([1, 2]);
    expect(fakes.argsOf('finishIncrementalRun')).toEqual([[run, { outcome: 'completed', counts: { auth: 5 } }]]);
  });

  it('records a one-activity run cancelled while paging as cancelled (its counts stay in the activity), and the workflow ends cancelled', async () => {
    const fakes = fakeActivities({
      syncLogIncrement: async () => {
        for (;;) {
          Context.current().heartbeat();
          await Context.current().sleep(50);
        }
      },
    });
    const { error, run, status } = await runIncremental(fakes, { cancel: true });

    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(status).toBe('CANCELLED');
    expect(fakes.argsOf('recordRunCancelled')).toEqual([[run, {}]]);
    expect(fakes.argsOf('finishIncrementalRun')).toEqual([]);
  });
});
