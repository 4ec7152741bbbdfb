import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MALFORMED_ATTEMPTS_BEFORE_STALL } from '../../activities/failures.js';
import { syncAuthLogWindow } from '../../activities/sync-auth-log-window.js';
import { createKeyring } from '../../db/credentials.js';
import { AppError } from '../../errors/app-error.js';
import { initialSyncWorkflowId } from '../../workflows/definitions.js';
import type { LogWindowInput } from '../../workflows/types.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { finishedIncrementalRuns, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';

/**
 * A next_offset that never advances, for good: the stream stops with needs_attention and the exact
 * page position, instead of skipping data or looping.
 *
 * The simulator returns the cursor it was sent on every page that has a page after it, so the first
 * page of a window (or of the user list) lands and the second never does. The initial sync retries
 * that page with backoff (5 s doubling to 10 min), counting the malformed answers in a row at that
 * page in Postgres; once the same page was malformed MALFORMED_ATTEMPTS_BEFORE_STALL times in a row
 * (about 10 minutes) it stops with a non-retryable SYNC_STALLED. The e2e part watches the first
 * attempts on the real system; the stop itself is proven on the same stuck window by running the real
 * activity until the streak reaches the limit, instead of waiting ten minutes. An incremental run
 * gives up after 5 attempts and the schedule pauses with needs_attention.
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
// Roster: 700 users, so the users page at offset 300 is the one whose next_offset never advances.
const roster = makeAccount({ dataset: { seed: 63, users: 700, groups: 3, authEvents: 300, days: 3 }, faults: { stuckCursorRate: 1 } });
const backfillTenant = 'stuck-backfill';
const liveTenant = 'stuck-live';
const rosterTenant = 'stuck-roster';

let harness: SyncHarness;
/** The backfill's pending activities as seen while it was stuck: attempt numbers and failure types. */
const observed: Array<{ attempt: number; type: string }> = [];
let requestRatePerSecond = 0;

const statusSchema = z.object({ status: z.string(), lastError: z.object({ code: z.string(), message: z.string() }).nullable() });

async function integrationStatus(tenantId: string): Promise<z.infer<typeof statusSchema>> {
  return statusSchema.parse(await harness.status(tenantId));
}

/** Day windows of the backfill that are open with a stored cursor: stuck after their first page. */
async function stuckWindows(): Promise<Array<{ start: number; end: number; cursor: string; pages: number; streak: number; streakAt: string | null }>> {
  const rows = await harness.api.database.sql<{ start: string; end: string; cursor: string; pages: number; malformed_streak: number; malformed_at: string | null }[]>`
    select window_start_ms::text as start, window_end_ms::text as end, cursor, pages, malformed_streak, malformed_at from backfill_windows
    where tenant_id = ${backfillTenant} and not done and cursor is not null order by window_start_ms`;
  return rows.map((row) => ({
    start: Number(row.start), end: Number(row.end), cursor: row.cursor, pages: row.pages, streak: row.malformed_streak, streakAt: row.malformed_at,
  }));
}

beforeAll(async () => {
  harness = await startSyncHarness({ accounts: [backfill, live, roster], env: { BACKFILL_DAYS: '3', SYNC_FAILURES_BEFORE_PAUSE: '1' } });
  expect((await harness.connect(backfillTenant, backfill)).statusCode).toBe(202);
  expect((await harness.connect(liveTenant, live)).statusCode).toBe(202);
  expect((await harness.connect(rosterTenant, roster)).statusCode).toBe(202);
  await Promise.all([watchStuckBackfill(), runStuckIncrement(), stallStuckRoster()]);
  // The rest drives the stuck window's activity directly: no attempt of the workflow may interleave.
  await terminateRunning(backfillTenant);
}, 300_000);

async function terminateRunning(tenantId: string): Promise<void> {
  for await (const execution of harness.temporal.workflow.list({ query: `TenantId = "${tenantId}" AND ExecutionStatus = "Running"` })) {
    await harness.temporal.workflow.getHandle(execution.workflowId, execution.runId).terminate('test finished');
  }
}

/** The roster's malformed streak as Postgres holds it. */
async function rosterStreak(): Promise<{ streak: number; at: string | null }> {
  const [row] = await harness.api.database.sql<{ malformed_streak: number; malformed_at: string | null }[]>`
    select malformed_streak, malformed_at from roster_malformed_pages where tenant_id = ${rosterTenant}`;
  return { streak: row?.malformed_streak ?? 0, at: row?.malformed_at ?? null };
}

const rosterObserved: Array<{ attempt: number; type: string }> = [];
let rosterFailure: unknown;

/**
 * Watches the initial sync's roster retry the stuck users page, then lets it stop: the streak is set
 * to one short of the limit (standing in for ten minutes of backoff), so the next real attempt is the
 * MALFORMED_ATTEMPTS_BEFORE_STALL-th malformed answer in a row at that page.
 */
async function stallStuckRoster(): Promise<void> {
  await waitFor(
    'the stuck roster to fail twice',
    async () => {
      const description = await harness.temporal.workflow.getHandle(initialSyncWorkflowId(rosterTenant)).describe();
      for (const activity of description.raw.pendingActivities ?? []) {
        rosterObserved.push({ attempt: activity.attempt ?? 0, type: activity.lastFailure?.applicationFailureInfo?.type ?? '' });
      }
      return Math.max(0, ...rosterObserved.map((o) => o.attempt)) >= 3;
    },
    120_000,
    500,
  );
  await harness.api.database.sql`
    update roster_malformed_pages set malformed_streak = ${MALFORMED_ATTEMPTS_BEFORE_STALL - 1}
    where tenant_id = ${rosterTenant} and malformed_at = 'users offset 300'`;
  rosterFailure = await harness.waitForInitialSync(rosterTenant).then(() => undefined, (error: unknown) => error);
}

/** Runs one incremental sync of the live tenant; five attempts (5 + 10 + 20 + 40 s of backoff), then it fails. */
async function runStuckIncrement(): Promise<void> {
  await harness.waitForInitialSync(liveTenant);
  await harness.simulator.control.setFaults(live.integrationKey, { stuckCursorRate: 1 });
  const before = await finishedIncrementalRuns(harness, liveTenant);
  const response = await harness.api.app.inject({ method: 'POST', url: `/v1/tenants/${liveTenant}/integrations/duo/sync`, headers: harness.api.auth });
  expect(response.statusCode).toBe(202);
  await waitFor('the stuck incremental run to fail', async () => (await finishedIncrementalRuns(harness, liveTenant)) > before, 240_000, 1000);
}

/** Watches the backfill until its stuck pages have failed four times (5 + 10 + 20 s of backoff). */
async function watchStuckBackfill(): Promise<void> {
  const startedAt = Date.now();
  const requestsBefore = (await harness.simulator.control.stats(backfill.integrationKey)).requests.total;
  await waitFor(
    'the stuck backfill to fail four attempts',
    async () => {
      const description = await harness.temporal.workflow.getHandle(initialSyncWorkflowId(backfillTenant)).describe();
      for (const activity of description.raw.pendingActivities ?? []) {
        observed.push({ attempt: activity.attempt ?? 0, type: activity.lastFailure?.applicationFailureInfo?.type ?? '' });
      }
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
    await terminateRunning(backfillTenant);
    await harness.close();
  }
});

/** The real backfill activity on the first stuck window, as attempt number `attempt`. */
async function runStuckWindowAs(attempt: number): Promise<unknown> {
  const [window] = await stuckWindows();
  if (!window) throw new Error('no stuck window');
  const config = harness.api.config;
  const deps = { db: harness.api.database.db, config, keyring: createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }, config.ENCRYPTION_PREVIOUS_KEYS) };
  const input: LogWindowInput = { tenantId: backfillTenant, stream: 'auth', windowStartMs: window.start, windowEndMs: window.end };
  return new MockActivityEnvironment({ attempt }).run(syncAuthLogWindow, deps, input).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('initial sync against a next_offset that never advances', () => {
  it('retries the stuck page as a malformed response', () => {
    const types = new Set(observed.map((o) => o.type).filter(Boolean));
    expect([...types]).toEqual(['DUO_MALFORMED_RESPONSE']);
  });

  it('backs off between attempts instead of looping on the page', () => {
    expect(Math.max(...observed.map((o) => o.attempt))).toBeGreaterThanOrEqual(5);
    // Four day windows at most, each retrying after 5, 10, 20, 40 s: far below one request a second.
    expect(requestRatePerSecond).toBeLessThan(1);
  });

  it('never skips past the stuck page: the windows stay open at the cursor they reached', async () => {
    const windows = await stuckWindows();
    expect(windows.length).toBeGreaterThan(0);
    for (const window of windows) expect(window.cursor).toMatch(/^\d{13},/);
  });

  it('counts the malformed answers in a row at the stuck page in Postgres, where the next attempt finds them', async () => {
    const windows = await stuckWindows();
    for (const window of windows) expect(window).toMatchObject({ streakAt: window.cursor });
    expect(Math.max(...windows.map((window) => window.streak))).toBeGreaterThanOrEqual(4);
  });

  it(`keeps retrying the page while it was malformed fewer than ${MALFORMED_ATTEMPTS_BEFORE_STALL} times in a row, whatever the attempt number`, async () => {
    for (let streak = (await stuckWindows())[0]?.streak ?? 0; streak < MALFORMED_ATTEMPTS_BEFORE_STALL - 1; streak++) {
      const failure = await runStuckWindowAs(100);
      expect(failure).toBeInstanceOf(AppError);
      expect(failure).toMatchObject({ code: 'DUO_MALFORMED_RESPONSE', retryable: true });
    }
    expect((await stuckWindows())[0]?.streak).toBe(MALFORMED_ATTEMPTS_BEFORE_STALL - 1);
  });

  it('stops the window with a non-retryable SYNC_STALLED naming the window and the page once the limit is reached', async () => {
    const [window] = await stuckWindows();
    const failure = await runStuckWindowAs(1);
    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ code: 'SYNC_STALLED', retryable: false });
    const message = failure instanceof Error ? failure.message : '';
    expect(message).toContain(new Date(window?.start ?? 0).toISOString());
    expect(message).toContain(new Date(window?.end ?? 0).toISOString());
    expect(message).toContain(`page ${window?.pages ?? -1}`);
  });
});

describe('roster against a users next_offset that never advances', () => {
  it('retries the stuck users page as a malformed response, counting it at "users offset 300"', () => {
    const types = new Set(rosterObserved.map((o) => o.type).filter(Boolean));
    expect([...types]).toEqual(['DUO_MALFORMED_RESPONSE']);
  });

  it(`fails the initial sync with a non-retryable SYNC_STALLED once the page was malformed ${MALFORMED_ATTEMPTS_BEFORE_STALL} times in a row`, () => {
    expect(rosterFailure).toBeInstanceOf(WorkflowFailedError);
    const cause = (rosterFailure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: 'SYNC_STALLED', nonRetryable: true });
  });

  it('asks for attention naming the page position, and keeps the users it stored (none swept)', async () => {
    const status = await integrationStatus(rosterTenant);
    expect(status.status).toBe('needs_attention');
    expect(status.lastError).toMatchObject({ code: 'SYNC_STALLED' });
    expect(status.lastError?.message).toContain('users offset 300');
    expect(await rosterStreak()).toEqual({ streak: MALFORMED_ATTEMPTS_BEFORE_STALL, at: 'users offset 300' });
    const [users] = await harness.api.database.sql<{ listed: number; deleted: number }[]>`
      select count(*) filter (where deleted_at is null)::int as listed, count(*) filter (where deleted_at is not null)::int as deleted
      from duo_users where tenant_id = ${rosterTenant}`;
    expect(users).toEqual({ listed: 300, deleted: 0 });
  });
});

describe('incremental sync against a next_offset that never advances', () => {
  const checkpoint = async () => {
    const [row] = await harness.api.database.sql<{ cursor: string | null; from: string; to: string | null }[]>`
      select cursor, synced_through_ms::text as from, window_end_ms::text as to from stream_checkpoints where tenant_id = ${liveTenant} and stream = 'auth'`;
    return row;
  };

  it('gives up the run after its bounded attempts and asks for attention', async () => {
    const [run] = await harness.api.database.sql<{ outcome: string }[]>`
      select outcome from sync_runs where tenant_id = ${liveTenant} and kind = 'incremental' order by id desc limit 1`;
    expect(run?.outcome).toBe('failed');
    const status = await integrationStatus(liveTenant);
    expect(status.status).toBe('needs_attention');
    expect(status.lastError?.code).toMatch(/^(DUO_MALFORMED_RESPONSE|SYNC_STALLED)$/);
  });

  it('keeps the page it reached: the checkpoint cursor is where the next run resumes', async () => {
    expect((await checkpoint())?.cursor).toMatch(/^\d{13},/);
  });

  it('names the exact page position (the cursor, or the window and page) in lastError', async () => {
    const position = await checkpoint();
    const message = (await integrationStatus(liveTenant)).lastError?.message ?? 'no lastError';
    const window = [new Date(Number(position?.from)).toISOString(), new Date(Number(position?.to)).toISOString()];
    const namesCursor = message.includes(position?.cursor ?? 'no cursor stored');
    const namesWindowAndPage = window.every((instant) => message.includes(instant)) && /page \d+/.test(message);
    expect({ message, namesPosition: namesCursor || namesWindowAndPage }).toMatchObject({ namesPosition: true });
  });
});
