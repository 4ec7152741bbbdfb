import { Context } from '@temporalio/activity';
import { storeAuthEvents } from '../db/auth-events.js';
import { advanceBackfillWindow, closeEmptyWindowsBefore, openBackfillWindow, recordMalformedBackfillPage } from '../db/backfill-windows.js';
import { ensurePartitionsForRows } from '../db/event-partitions.js';
import { requireIntegration } from '../db/integrations.js';
import { SyncPausedError } from '../errors/integration-errors.js';
import { recordEventsIngested } from '../observability/metrics.js';
import { DUO_MAX_LOG_AGE_MS, type DuoClient } from '../duo/client.js';
import { BudgetWaitRequired } from '../errors/app-error.js';
import { BACKFILL_WINDOW_MS } from '../workflows/definitions.js';
import type { LogWindowInput, LogWindowResult } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { toAuthEventRecord } from './duo-records.js';
import { countMalformedPage } from './failures.js';
import { loadDuoClient, unlessCredentialsRotated } from './tenant-connection.js';

/**
 * The longest wait for the account's budget a window takes inside its activity: a longer one gives
 * the slot back and the workflow waits on a timer (a wake-up costs an activity and a timer, so a
 * moment's wait is cheaper taken here).
 */
export const BUDGET_WAIT_IN_ACTIVITY_MS = 2_000;

/**
 * One window of authentication logs of the initial backfill: pages through Duo with sort=ts:asc and
 * stores each page and its cursor in one transaction, so after any retry or crash it resumes from the
 * last committed page. Returns counts only; the rows never pass through workflow history.
 */
export async function syncAuthLogWindow(deps: ActivityDeps, input: LogWindowInput): Promise<LogWindowResult> {
  const context = Context.current();
  const key = { tenantId: input.tenantId, stream: input.stream, windowStartMs: input.windowStartMs, windowEndMs: input.windowEndMs };
  const window = await openBackfillWindow(deps.db, key);
  if (window.done) return { events: window.events, pages: window.pages, expired: false };

  // Duo serves 180 days. A long backfill can reach its oldest windows after they have (partly) aged
  // out: fetch what is still there and close a window that is gone entirely, instead of failing.
  const earliestServedMs = Date.now() - DUO_MAX_LOG_AGE_MS + 60_000;
  if (input.windowEndMs <= earliestServedMs) {
    await advanceBackfillWindow(deps.db, key, { cursor: null, done: true, events: 0 });
    return { events: window.events, pages: window.pages, expired: true };
  }

  let events = window.events;
  let pages = window.pages;
  let cursor = window.cursor;
  const beat = () => context.heartbeat({ pages, events });
  beat();
  const { duo, builtFrom } = await loadDuoClient(deps, input.tenantId, {
    onBudgetWait: beat,
    ...(input.yieldOnBudgetWait ? { maxBudgetWaitMs: BUDGET_WAIT_IN_ACTIVITY_MS } : {}),
  });
  const pageIterator = duo.authLogPages({
    mintimeMs: Math.max(input.windowStartMs, earliestServedMs),
    maxtimeMs: input.windowEndMs,
    cursor,
    signal: context.cancellationSignal,
  });
  try {
    for await (const page of pageIterator) {
      const records = page.items.map(toAuthEventRecord);
      await ensurePartitionsForRows(deps.db, 'duo_auth_events', records.map((r) => r.occurredAt));
      const stored = await deps.db.transaction(async (tx) => {
        await requireIntegration(tx, input.tenantId, { connected: true, lock: 'share' });
        const result = await storeAuthEvents(tx, input.tenantId, records);
        await advanceBackfillWindow(tx, key, { cursor: page.next, done: page.next === null, events: result.inserted });
        return result;
      });
      events += stored.inserted;
      recordEventsIngested(input.stream, stored.inserted);
      pages += 1;
      cursor = page.next;
      beat();
    }
  } catch (error) {
    // Every page fetched so far is committed with its cursor: the next call resumes after it.
    if (error instanceof BudgetWaitRequired) return { events, pages, expired: false, budgetWaitUntilMs: error.retryAtMs };
    // Paused before the next page: what is stored stays, the cursor says where to go on.
    if (error instanceof SyncPausedError) return { events, pages, expired: false, paused: true };
    const from = new Date(input.windowStartMs).toISOString();
    const to = new Date(input.windowEndMs).toISOString();
    const failedAt = cursor ?? '';
    const position = `auth window ${from}..${to} after page ${pages} (cursor kept in backfill_windows)`;
    throw await countMalformedPage(
      await unlessCredentialsRotated(deps, input.tenantId, builtFrom, error),
      () => recordMalformedBackfillPage(deps.db, key, failedAt),
      position,
    );
  }
  if (events === 0 && input.stream === 'auth') {
    try {
      await closeEmptyPast(deps, duo, input, earliestServedMs, context.cancellationSignal);
    } catch (error) {
      // Closing earlier days ahead is a shortcut: without budget or while paused, each day asks Duo itself later.
      if (!(error instanceof BudgetWaitRequired) && !(error instanceof SyncPausedError)) throw error;
    }
  }
  return { events, pages, expired: false };
}

/**
 * An empty day asks Duo once for the oldest event between the backfill's start and this day. Every
 * day window before it holds nothing and is closed done and empty without a request of its own: an
 * account whose log retention is shorter than 180 days (a Duo setting; Duo answers such days with no
 * rows, not an error) gets a backfill that ends where its data ends, one request instead of one per
 * day; a quiet stretch in a sparse account is skipped the same way.
 */
async function closeEmptyPast(deps: ActivityDeps, duo: DuoClient, input: LogWindowInput, earliestServedMs: number, signal: AbortSignal): Promise<void> {
  const integration = await requireIntegration(deps.db, input.tenantId);
  const backfillStartMs = integration.backfillStartAt.getTime();
  const fromMs = Math.max(backfillStartMs, earliestServedMs);
  if (input.windowStartMs <= fromMs) return;
  const pages = duo.authLogPages({ mintimeMs: fromMs, maxtimeMs: input.windowStartMs, limit: 1, signal });
  let oldestMs = input.windowStartMs;
  try {
    const first = await pages.next();
    const oldest = first.done ? undefined : first.value.items[0];
    // Whole seconds, rounded down: a window is closed only when it ends before the oldest event.
    if (oldest) oldestMs = oldest.timestamp * 1000;
  } finally {
    await pages.return(undefined);
  }
  await closeEmptyWindowsBefore(deps.db, { tenantId: input.tenantId, stream: input.stream }, {
    fromEndMs: input.windowStartMs,
    backfillStartMs,
    windowMs: BACKFILL_WINDOW_MS,
    beforeMs: oldestMs,
  });
}
