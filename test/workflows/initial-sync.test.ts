import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { DuoCredentialsRejectedError, DuoRateLimitedError } from '../../duo/errors.js';
import { BACKFILL_WINDOW_MS } from '../../workflows/definitions.js';
import type { initialSync } from '../../workflows/initial-sync.js';
import type { InitialSyncInput, RunRef, SyncTotals } from '../../workflows/types.js';
import { fakeActivities } from '../helpers/fake-activities.js';
import { waitFor } from '../helpers/waiting.js';
import { workflowTestHarness } from '../helpers/workflow-environment.js';

const tenantId = 'fake-tenant';
const logsEndpoint = { status: 401, duoCode: 40103, endpoint: '/admin/v2/logs/authentication' };
/** Three day windows: one batch, so these runs never consider continuing as new. */
const anchorMs = Date.UTC(2026, 10, 20);
const input: InitialSyncInput = { tenantId, anchorMs, backfillStartMs: anchorMs - 3 * BACKFILL_WINDOW_MS };
const rosterTotals = { users: 3, groups: 2 };

describe('initialSync (workflow code, fake activities)', () => {
  const harness = workflowTestHarness();

  const workflowId = () => `duo-initial-sync:${tenantId}-${Math.random().toString(36).slice(2)}`;

  it('records a non-retryable activity failure, pauses the schedule for attention and ends failed with its code', async () => {
    const fakes = fakeActivities({
      syncAuthLogWindow: async () => {
        throw new DuoCredentialsRejectedError(logsEndpoint);
      },
    });
    const id = workflowId();
    const { error, run } = await harness.withWorker(fakes.activities, async (taskQueue) => {
      const handle = await harness.client.workflow.start<typeof initialSync>('initialSync', { workflowId: id, taskQueue, args: [input] });
      const ref: RunRef = { tenantId, workflowId: id, runId: handle.firstExecutionRunId };
      return { error: await handle.result().catch((e: unknown) => e), run: ref };
    });

    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: 'DUO_CREDENTIALS_REJECTED', nonRetryable: true });
    const failure = { code: 'DUO_CREDENTIALS_REJECTED', message: expect.stringContaining('Duo rejected the credentials') };
    expect(fakes.argsOf('failInitialSync')).toEqual([[run, failure, { ...rosterTotals, events: 0, windowsDone: 0 }]]);
    expect(fakes.argsOf('pauseForAttention')).toEqual([[tenantId, failure]]);
    // Never retried, and nothing recorded after the pause: only the failure's webhooks are handed off.
    expect(fakes.calls.filter((call) => call.name === 'syncAuthLogWindow').map((call) => call.attempt)).toEqual([1, 1, 1]);
    expect(fakes.calls.map((call) => call.name).slice(-3)).toEqual(['failInitialSync', 'pauseForAttention', 'startNotificationDelivery']);
    const handedOff = fakes.argsOf('startNotificationDelivery').flatMap(([input]) => input.notifications.map((n) => n.type));
    expect(handedOff).toEqual(['initial_sync.failed', 'integration.needs_attention']);
    expect(fakes.argsOf('completeInitialSync')).toEqual([]);
  });

  it('retries a retryable activity failure and completes the sync with every window counted', async () => {
    let failuresLeft = 2;
    const fakes = fakeActivities({
      syncAuthLogWindow: async (window) => {
        if (window.windowEndMs === anchorMs && failuresLeft-- > 0) throw new DuoRateLimitedError(logsEndpoint, 50);
        return { events: 10, pages: 1, expired: false };
      },
    });
    const totals = await harness.withWorker(fakes.activities, async (taskQueue) =>
      harness.client.workflow.execute<typeof initialSync>('initialSync', { workflowId: workflowId(), taskQueue, args: [input] }),
    );

    const expected: SyncTotals = { ...rosterTotals, events: 30, windowsDone: 3 };
    expect(totals).toEqual(expected);
    const newestWindow = fakes.calls.filter((call) => call.name === 'syncAuthLogWindow' && (call.args[0] as { windowEndMs: number }).windowEndMs === anchorMs);
    expect(newestWindow.map((call) => call.attempt)).toEqual([1, 2, 3]);
    expect(fakes.argsOf('completeInitialSync')).toHaveLength(1);
    expect(fakes.argsOf('failInitialSync')).toEqual([]);
    expect(fakes.argsOf('pauseForAttention')).toEqual([]);
  });

  it('records a cancelled run with the totals so far, and the workflow ends cancelled', async () => {
    const fakes = fakeActivities({
      // A window still paging: heartbeats until the cancellation reaches it.
      syncAuthLogWindow: async () => {
        for (;;) {
          Context.current().heartbeat();
          await Context.current().sleep(50);
        }
      },
    });
    const id = workflowId();
    const { error, run, status } = await harness.withWorker(fakes.activities, async (taskQueue) => {
      const handle = await harness.client.workflow.start<typeof initialSync>('initialSync', { workflowId: id, taskQueue, args: [input] });
      await waitFor('a window to be paging', async () => fakes.argsOf('syncAuthLogWindow').length > 0);
      await handle.cancel();
      const outcome = await handle.result().catch((e: unknown) => e);
      return { error: outcome, run: { tenantId, workflowId: id, runId: handle.firstExecutionRunId }, status: (await handle.describe()).status.name };
    });

    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(status).toBe('CANCELLED');
    expect(fakes.argsOf('recordRunCancelled')).toEqual([[run, { ...rosterTotals, events: 0, windowsDone: 0 }]]);
    expect(fakes.argsOf('failInitialSync')).toEqual([]);
    expect(fakes.argsOf('completeInitialSync')).toEqual([]);
  });
});
