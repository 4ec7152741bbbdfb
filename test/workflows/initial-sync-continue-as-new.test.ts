import { beforeAll, describe, expect, it } from 'vitest';
import { BACKFILL_WINDOW_MS } from '../../workflows/definitions.js';
import type { initialSync } from '../../workflows/initial-sync.js';
import type { InitialSyncInput, LogWindowInput, RunRef } from '../../workflows/types.js';
import { fakeActivities, type FakeActivities } from '../helpers/fake-activities.js';
import { workflowTestHarness } from '../helpers/workflow-environment.js';
import { continuedAs, startInput, type History } from '../helpers/workflow-history.js';

const tenantId = 'long-backfill';
const anchorMs = Date.UTC(2026, 10, 20);
/** Ten day windows, fetched four at a time: three batches. */
const windows = 10;
const input: InitialSyncInput = { tenantId, anchorMs, backfillStartMs: anchorMs - windows * BACKFILL_WINDOW_MS };

describe('initialSync continuing as new (workflow code, fake activities)', () => {
  // A dev server of the file's own whose continue-as-new suggestion comes after 30 history events:
  // the roster and one batch of windows reach it, so each batch after that ends its run.
  const harness = workflowTestHarness({ suggestContinueAsNewAfterEvents: 30 });
  let fakes: FakeActivities;
  let histories: History[];
  let firstRun: RunRef;

  beforeAll(async () => {
    fakes = fakeActivities({ syncAuthLogWindow: async (window) => ({ events: dayNumber(window), pages: 1, expired: false }) });
    const workflowId = `duo-initial-sync:${tenantId}`;
    await harness.withWorker(fakes.activities, async (taskQueue) => {
      const handle = await harness.client.workflow.start<typeof initialSync>('initialSync', { workflowId, taskQueue, args: [input] });
      firstRun = { tenantId, workflowId, runId: handle.firstExecutionRunId };
      await handle.result();
    });
    // The chain, run by run: each continued run names the run it started.
    histories = [];
    for (let runId: string | undefined = firstRun.runId; runId; runId = continuedAs(histories[histories.length - 1])) {
      histories.push(await harness.client.workflow.getHandle(workflowId, runId).fetchHistory());
    }
  }, 180_000);

  /** 1 for the newest day, 10 for the oldest: each window's event count names it. */
  const dayNumber = (window: LogWindowInput) => Math.round((anchorMs - window.windowStartMs) / BACKFILL_WINDOW_MS);

  it('runs as a chain of runs, each continued run carrying the phase, the next window and the totals so far', () => {
    expect(histories.length).toBeGreaterThanOrEqual(2);
    const carried = histories.slice(1).map((history) => startInput<InitialSyncInput>(history));
    expect(carried[0]).toEqual({
      ...input,
      resume: { phase: 'auth_logs', nextWindowEndMs: anchorMs - 4 * BACKFILL_WINDOW_MS, totals: { users: 3, groups: 2, events: 1 + 2 + 3 + 4, windowsDone: 4 } },
    });
    for (const next of carried) {
      const done = next.resume?.totals.windowsDone ?? 0;
      expect(next.resume).toEqual({
        phase: 'auth_logs',
        nextWindowEndMs: anchorMs - done * BACKFILL_WINDOW_MS,
        totals: { users: 3, groups: 2, events: (done * (done + 1)) / 2, windowsDone: done },
      });
    }
  });

  it('fetches the roster and every window exactly once across the chain, and completes as the first run', () => {
    expect(fakes.argsOf('beginInitialSync')).toEqual([[firstRun]]);
    expect(fakes.argsOf('syncRoster')).toHaveLength(1);
    const fetched = fakes.argsOf('syncAuthLogWindow').map(([window]) => dayNumber(window));
    expect(fetched.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(fakes.argsOf('completeInitialSync')).toEqual([[firstRun, { users: 3, groups: 2, events: 55, windowsDone: windows }]]);
  });
});
