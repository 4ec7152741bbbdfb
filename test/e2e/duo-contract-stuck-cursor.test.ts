import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialSyncWorkflowId } from '../../workflows/definitions.js';
import { makeAccount } from '../helpers/simulator.js';
import { finishedIncrementalRuns, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';

/**
 * A next_offset that never advances, for good (issue 6: "if they persist, the stream stops with
 * needs_attention and the exact page position, instead of skipping data or looping").
 *
 * The simulator returns the cursor it was sent on every page that has a page after it, so the first
 * page of a window lands and the second never does. The initial sync retries that page with backoff
 * (5 s doubling to 10 min) and no attempt limit; an incremental run gives up after 5 attempts.
 *
 * MALFORMED_ATTEMPTS_BEFORE_ATTENTION is the knob the missing behaviour needs (see docs/RELIABILITY.md):
 * after that many consecutive malformed answers at one page position the stream stops. It is set
 * low here so the test does not wait for production backoff.
 */
// Initial sync: ~3000 events a day, so every day window has a second page to get stuck on. 50 users:
// one roster page, which the fault leaves alone.
const backfill = makeAccount({ dataset: { seed: 61, users: 50, groups: 3, authEvents: 9000, days: 3 }, faults: { stuckCursorRate: 1 } });
// Recurring sync: a small history (one page a day) and 1500 live events a minute from about the
// integration's anchor (connect − 5 min) on. The first incremental window, [anchor, now − 3 min], holds
// two minutes or more of them: several pages. Its faults start once the initial sync is done.
const live = makeAccount({
  dataset: { seed: 62, users: 50, groups: 3, authEvents: 300, days: 3, liveEventsPerMinute: 1500, anchorMs: Date.now() - 5 * 60_000 },
});
const backfillTenant = 'stuck-backfill';
const liveTenant = 'stuck-live';

let harness: SyncHarness;
/** The backfill's pending activities as seen while it was stuck: attempt numbers and failure types. */
const observed: Array<{ attempt: number; type: string }> = [];
const storedCursors = new Set<string>();
let requestRatePerSecond = 0;

async function integrationStatus(tenantId: string): Promise<{ status: string; lastError: { code: string; message: string } | null }> {
  const body = await harness.status(tenantId);
  const lastError = body.lastError as { code: string; message: string } | null;
  return { status: String(body.status), lastError };
}

async function stuckBackfillCursor(): Promise<string | null> {
  const [row] = await harness.api.database.sql<{ cursor: string | null }[]>`
    select cursor from backfill_windows where tenant_id = ${backfillTenant} and not done and cursor is not null order by window_start_ms desc limit 1`;
  return row?.cursor ?? null;
}

beforeAll(async () => {
  harness = await startSyncHarness({
    accounts: [backfill, live],
    env: { BACKFILL_DAYS: '3', SYNC_FAILURES_BEFORE_PAUSE: '1', MALFORMED_ATTEMPTS_BEFORE_ATTENTION: '3' },
  });
  expect((await harness.connect(backfillTenant, backfill)).statusCode).toBe(202);
  expect((await harness.connect(liveTenant, live)).statusCode).toBe(202);

  await Promise.all([watchStuckBackfill(), runStuckIncrement()]);
}, 300_000);

/** Runs one incremental sync of the live tenant; five attempts (5 + 10 + 20 + 40 s of backoff), then it fails. */
async function runStuckIncrement(): Promise<void> {
  await harness.waitForInitialSync(liveTenant);
  await harness.simulator.control.setFaults(live.integrationKey, { stuckCursorRate: 1 });
  const before = await finishedIncrementalRuns(harness, liveTenant);
  const response = await harness.api.app.inject({ method: 'POST', url: `/v1/tenants/${liveTenant}/integrations/duo/sync`, headers: harness.api.auth });
  expect(response.statusCode).toBe(202);
  await waitFor('the stuck incremental run to fail', async () => (await finishedIncrementalRuns(harness, liveTenant)) > before, 240_000, 1000);
}

/** Watches the backfill until it stops (the requirement) or its stuck page has failed five times. */
async function watchStuckBackfill(): Promise<void> {
  const startedAt = Date.now();
  const requestsBefore = (await harness.simulator.control.stats(backfill.integrationKey)).requests.total;
  await waitFor(
    'the stuck backfill to stop or fail five attempts',
    async () => {
      const description = await harness.temporal.workflow.getHandle(initialSyncWorkflowId(backfillTenant)).describe();
      for (const activity of description.raw.pendingActivities ?? []) {
        observed.push({ attempt: activity.attempt ?? 0, type: activity.lastFailure?.applicationFailureInfo?.type ?? '' });
      }
      const cursor = await stuckBackfillCursor();
      if (cursor) storedCursors.add(cursor);
      if ((await integrationStatus(backfillTenant)).status === 'needs_attention') return true;
      return Math.max(0, ...observed.map((o) => o.attempt)) >= 5;
    },
    240_000,
    1000,
  );
  const requests = (await harness.simulator.control.stats(backfill.integrationKey)).requests.total - requestsBefore;
  requestRatePerSecond = requests / ((Date.now() - startedAt) / 1000);
}

afterAll(async () => {
  if (harness) {
    for await (const execution of harness.temporal.workflow.list({ query: `TenantId = "${backfillTenant}" AND ExecutionStatus = "Running"` })) {
      await harness.temporal.workflow.getHandle(execution.workflowId, execution.runId).terminate('test finished');
    }
    await harness.close();
  }
});

describe('initial sync against a next_offset that never advances', () => {
  it('retries the stuck page as a malformed response', () => {
    const types = new Set(observed.map((o) => o.type).filter(Boolean));
    expect([...types]).toEqual(['DUO_MALFORMED_RESPONSE']);
  });

  it('backs off between attempts instead of looping on the page', () => {
    expect(Math.max(...observed.map((o) => o.attempt))).toBeGreaterThanOrEqual(3);
    // Four day windows at most, each retrying after 5, 10, 20, 40 s: far below one request a second.
    expect(requestRatePerSecond).toBeLessThan(1);
  });

  it('never skips past the stuck page: the window stays open at the cursor it reached', async () => {
    expect(storedCursors.size).toBeGreaterThan(0);
    const [row] = await harness.api.database.sql<{ open: number }[]>`
      select count(*)::int as open from backfill_windows where tenant_id = ${backfillTenant} and not done`;
    expect(row?.open).toBeGreaterThan(0);
    expect(await stuckBackfillCursor()).not.toBeNull();
  });

  it('stops with needs_attention once the stuck cursor persists, instead of retrying forever', async () => {
    const status = await integrationStatus(backfillTenant);
    expect(status.status).toBe('needs_attention');
    expect(status.lastError?.code).toMatch(/^(DUO_MALFORMED_RESPONSE|SYNC_STALLED)$/);
  });

  it('names the exact page position (the stored cursor) in lastError', async () => {
    const cursor = await stuckBackfillCursor();
    expect(cursor).not.toBeNull();
    expect((await integrationStatus(backfillTenant)).lastError?.message ?? 'no lastError').toContain(cursor ?? 'no cursor stored');
  });
});

describe('incremental sync against a next_offset that never advances', () => {
  it('gives up the run after its bounded attempts and asks for attention', async () => {
    const [run] = await harness.api.database.sql<{ outcome: string }[]>`
      select outcome from sync_runs where tenant_id = ${liveTenant} and kind = 'incremental' order by id desc limit 1`;
    expect(run?.outcome).toBe('failed');
    expect(await integrationStatus(liveTenant)).toMatchObject({ status: 'needs_attention', lastError: { code: 'DUO_MALFORMED_RESPONSE' } });
  });

  it('keeps the page it reached: the checkpoint cursor is where the next run resumes', async () => {
    const [row] = await harness.api.database.sql<{ cursor: string | null }[]>`
      select cursor from stream_checkpoints where tenant_id = ${liveTenant} and stream = 'auth'`;
    expect(row?.cursor).toMatch(/^\d{13},/);
  });

  it('names the exact page position (the checkpoint cursor) in lastError', async () => {
    const [row] = await harness.api.database.sql<{ cursor: string | null }[]>`
      select cursor from stream_checkpoints where tenant_id = ${liveTenant} and stream = 'auth'`;
    expect((await integrationStatus(liveTenant)).lastError?.message ?? 'no lastError').toContain(row?.cursor ?? 'no cursor stored');
  });
});
