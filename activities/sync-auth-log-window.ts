import { Context } from '@temporalio/activity';
import { storeAuthEvents } from '../db/auth-events.js';
import { advanceBackfillWindow, openBackfillWindow, recordMalformedBackfillPage } from '../db/backfill-windows.js';
import { ensurePartitionsForRows } from '../db/event-partitions.js';
import { requireIntegration } from '../db/integrations.js';
import { SyncPausedError } from '../errors/integration-errors.js';
import { recordEventsIngested } from '../observability/metrics.js';
import { DUO_MAX_LOG_AGE_MS } from '../duo/client.js';
import type { LogWindowInput, LogWindowResult } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { toAuthEventRecord } from './duo-records.js';
import { countMalformedPage } from './failures.js';
import { loadDuoClient, unlessCredentialsRotated } from './tenant-connection.js';

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
  const { duo, builtFrom } = await loadDuoClient(deps, input.tenantId, { onBudgetWait: beat });
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
  return { events, pages, expired: false };
}
