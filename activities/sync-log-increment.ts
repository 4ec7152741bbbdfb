import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { recordEventsIngested } from '../observability/metrics.js';
import { storeAuthEvents } from '../db/auth-events.js';
import type { Transaction } from '../db/client.js';
import { requireIntegration } from '../db/integrations.js';
import { runStartedAt } from '../db/sync-runs.js';
import { ensurePartitionsForRows, type EventTable } from '../db/event-partitions.js';
import { storeStreamEvents, type StreamEventRecord } from '../db/optional-streams.js';
import {
  advanceIncrementalWindow,
  ensureStreamCheckpoint,
  pinIncrementalWindow,
  recordMalformedStreamPage,
  setSyncedThrough,
} from '../db/stream-checkpoints.js';
import { DUO_LOG_DELAY_MS, DUO_MAX_LOG_AGE_MS, type DuoClient, type LogPage } from '../duo/client.js';
import type { DuoActivityLog, DuoAdminLog, DuoTelephonyLog } from '../duo/schemas.js';
import type { LogStream } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { eventInstant, toAuthEventRecord } from './duo-records.js';
import { countMalformedPage } from './failures.js';
import { loadDuoClient, unlessCredentialsRotated } from './tenant-connection.js';
import { SyncPausedError } from '../errors/integration-errors.js';
import { INCREMENTAL_MAX_ATTEMPTS } from '../workflows/activity-options.js';

type V2LogStream = Exclude<LogStream, 'administrator'>;

/** One run pages at most one day per stream call, so a long-paused tenant catches up over several calls. */
export const MAX_INCREMENT_MS = 24 * 60 * 60 * 1000;

/**
 * How long one incremental run may page through Duo, counted from its start. A long catch-up (after a
 * pause, at Duo's 1–2 log requests a minute) then ends as a completed run well inside the run timeout
 * and the next runs continue from the saved cursor, instead of being killed and counted as failures.
 */
export const RUN_PAGING_BUDGET_MS = 30 * 60_000;

export interface LogIncrementResult {
  events: number;
  pages: number;
  /** The stream reached now minus Duo's delay: nothing more to fetch in this run. */
  caughtUp: boolean;
  /** The run's paging budget is spent: the rest waits for the next run (the cursor is saved). */
  runBudgetSpent?: boolean;
  /** The tenant was paused: stopped at a page boundary (cursor kept); the run ends here. */
  paused?: boolean;
  syncedThroughMs: number;
}

/**
 * One increment of a log stream: from the stream's checkpoint up to now minus Duo's delay (plus a
 * margin), in a window pinned in Postgres and paged with next_offset; each page's rows and cursor are
 * committed together. A run that finds nothing costs one Duo call.
 */
export async function syncLogIncrement(deps: ActivityDeps, input: { tenantId: string; stream: LogStream }): Promise<LogIncrementResult> {
  const context = Context.current();
  const { tenantId, stream } = input;
  const integration = await requireIntegration(deps.db, tenantId);
  const now = Date.now();
  const earliestServedMs = now - DUO_MAX_LOG_AGE_MS + 60_000;
  const checkpoint = await ensureStreamCheckpoint(deps.db, tenantId, stream, Math.max(integration.anchorAt.getTime(), earliestServedMs));
  const progress = { pages: 0, events: 0 };
  const beat = () => context.heartbeat({ ...progress });
  const { duo, builtFrom } = await loadDuoClient(deps, tenantId, { onBudgetWait: beat });
  // Rows newer than this may not be visible yet (Duo's delay): no checkpoint ever moves past it.
  const latestEndMs = now - DUO_LOG_DELAY_MS - deps.config.DUO_LOG_SAFETY_SECONDS * 1000;
  // workflowExecution is absent only for standalone activities, which have no run to budget.
  const execution = context.info.workflowExecution;
  const runStart = execution ? await runStartedAt(deps.db, execution.workflowId, execution.runId) : null;
  const budgetSpent = () => runStart !== null && Date.now() - runStart.getTime() >= RUN_PAGING_BUDGET_MS;
  const run = { deps, duo, tenantId, latestEndMs, progress, beat, budgetSpent };
  try {
    if (stream === 'administrator') return await syncAdministratorIncrement(run, checkpoint.syncedThroughMs);
    return await syncV2Increment(run, stream, Math.max(checkpoint.syncedThroughMs, earliestServedMs), checkpoint.syncedThroughMs);
  } catch (error) {
    if (error instanceof SyncPausedError) {
      return { events: progress.events, pages: progress.pages, caughtUp: false, paused: true, syncedThroughMs: checkpoint.syncedThroughMs };
    }
    throw await unlessCredentialsRotated(deps, tenantId, builtFrom, error);
  }
}

interface IncrementRun {
  deps: ActivityDeps;
  duo: DuoClient;
  tenantId: string;
  latestEndMs: number;
  progress: { pages: number; events: number };
  beat: () => void;
  /** Checked after each stored page: at least one page is fetched per call. */
  budgetSpent: () => boolean;
}

/** v2 logs (auth, telephony, activity): `startMs` is the checkpoint, moved up to what Duo still serves. */
async function syncV2Increment(run: IncrementRun, stream: V2LogStream, startMs: number, syncedThroughMs: number): Promise<LogIncrementResult> {
  const { deps, duo, tenantId, latestEndMs, progress, beat, budgetSpent } = run;
  const context = Context.current();
  const pinned = await pinIncrementalWindow(deps.db, tenantId, stream, Math.min(latestEndMs, startMs + MAX_INCREMENT_MS));
  const windowEndMs = pinned.windowEndMs ?? latestEndMs;
  if (windowEndMs <= startMs) {
    await advanceIncrementalWindow(deps.db, tenantId, stream, { cursor: null });
    return { events: 0, pages: 0, caughtUp: true, syncedThroughMs };
  }
  const window = { mintimeMs: startMs, maxtimeMs: windowEndMs, cursor: pinned.cursor, signal: context.cancellationSignal };
  beat();
  let cursor = pinned.cursor;
  const store = async (page: LogPage<unknown>, instants: string[], write: (tx: Transaction) => Promise<number>) => {
    await ensurePartitionsForRows(deps.db, eventTableOf[stream], instants);
    const inserted = await deps.db.transaction(async (tx) => {
      await requireIntegration(tx, tenantId, { connected: true, lock: 'share' });
      const n = await write(tx);
      await advanceIncrementalWindow(tx, tenantId, stream, { cursor: page.next });
      return n;
    });
    progress.events += inserted;
    recordEventsIngested(stream, inserted);
    progress.pages += 1;
    cursor = page.next;
    beat();
  };
  let stopped = false;
  try {
    if (stream === 'auth') {
      for await (const page of duo.authLogPages(window)) {
        const records = page.items.map(toAuthEventRecord);
        await store(page, records.map((r) => r.occurredAt), async (tx) => (await storeAuthEvents(tx, tenantId, records)).inserted);
        if (page.next !== null && (stopped = budgetSpent())) break;
      }
    } else if (stream === 'telephony') {
      for await (const page of duo.telephonyLogPages(window)) {
        const records = page.items.map(telephonyRecord);
        await store(page, records.map((r) => r.occurredAt), (tx) => storeStreamEvents(tx, tenantId, 'telephony', records));
        if (page.next !== null && (stopped = budgetSpent())) break;
      }
    } else {
      for await (const page of duo.activityLogPages(window)) {
        const records = page.items.map(activityRecord);
        await store(page, records.map((r) => r.occurredAt), (tx) => storeStreamEvents(tx, tenantId, 'activity', records));
        if (page.next !== null && (stopped = budgetSpent())) break;
      }
    }
  } catch (error) {
    if (error instanceof SyncPausedError) throw error;
    // The pin and cursor outlive the run, so a page that stays malformed is counted across runs.
    const failedAt = `${windowEndMs}|${cursor ?? ''}`;
    const position = `${stream} window ${new Date(startMs).toISOString()}..${new Date(windowEndMs).toISOString()}, cursor ${cursor ?? '(window start)'} (kept in stream_checkpoints)`;
    throw await countMalformedPage(error, () => recordMalformedStreamPage(deps.db, tenantId, stream, failedAt), position, INCREMENTAL_MAX_ATTEMPTS);
  }
  // Stopped mid-window: the window stays pinned with its cursor, and the checkpoint where it was.
  if (stopped) return { events: progress.events, pages: progress.pages, caughtUp: false, runBudgetSpent: true, syncedThroughMs };
  return { events: progress.events, pages: progress.pages, caughtUp: windowEndMs >= latestEndMs, syncedThroughMs: windowEndMs };
}

/**
 * Administrator logs (v1) have no maxtime and no ids: scan from the checkpoint's second (inclusive,
 * so boundary rows repeat) and dedupe by a hash of each row. Like the v2 streams, the checkpoint
 * never passes now − Duo's delay − the margin: a row Duo shows late, older than rows already seen,
 * is still ahead of the next scan's start. Rows of later seconds are left to the next scan; rows of
 * the checkpoint's own second are seen again by it and deduped.
 */
async function syncAdministratorIncrement(run: IncrementRun, syncedThroughMs: number): Promise<LogIncrementResult> {
  const { deps, duo, tenantId, latestEndMs, progress, beat, budgetSpent } = run;
  if (latestEndMs <= syncedThroughMs) return { events: 0, pages: 0, caughtUp: true, syncedThroughMs };
  let through = syncedThroughMs;
  let mintimeSec = Math.floor(syncedThroughMs / 1000);
  beat();
  try {
    for await (const page of duo.adminLogPages({ mintimeSec, signal: Context.current().cancellationSignal })) {
      // A full page is complete below its next mintime; the last page (next null) means every row
      // visible now was seen, which covers everything up to the end.
      const pageThrough = page.next === null ? latestEndMs : Math.min(page.next * 1000, latestEndMs);
      const next = Math.max(through, pageThrough);
      // Rows of seconds after the end wait for the next scan (it starts at the checkpoint's second),
      // so what is stored is exactly what lies before the checkpoint's next second.
      const due = page.items.filter((row) => row.timestamp * 1000 <= latestEndMs).map(adminRecord);
      await ensurePartitionsForRows(deps.db, 'duo_admin_events', due.map((r) => r.occurredAt));
      const inserted = await deps.db.transaction(async (tx) => {
        await requireIntegration(tx, tenantId, { connected: true, lock: 'share' });
        const n = await storeStreamEvents(tx, tenantId, 'administrator', due);
        await setSyncedThrough(tx, tenantId, 'administrator', next);
        return n;
      });
      progress.events += inserted;
      recordEventsIngested('administrator', inserted);
      progress.pages += 1;
      through = next;
      beat();
      if (page.next === null || pageThrough >= latestEndMs) break;
      mintimeSec = page.next;
      if (budgetSpent()) {
        return { events: progress.events, pages: progress.pages, caughtUp: false, runBudgetSpent: true, syncedThroughMs: through };
      }
    }
  } catch (error) {
    if (error instanceof SyncPausedError) throw error;
    const position = `administrator scan from mintime ${mintimeSec} (${new Date(mintimeSec * 1000).toISOString()}, kept in stream_checkpoints)`;
    throw await countMalformedPage(
      error,
      () => recordMalformedStreamPage(deps.db, tenantId, 'administrator', String(mintimeSec)),
      position,
      INCREMENTAL_MAX_ATTEMPTS,
    );
  }
  return { events: progress.events, pages: progress.pages, caughtUp: true, syncedThroughMs: through };
}

const eventTableOf: Record<V2LogStream, EventTable> = { auth: 'duo_auth_events', telephony: 'duo_telephony_events', activity: 'duo_activity_events' };

const telephonyRecord = (row: DuoTelephonyLog): StreamEventRecord => ({ id: row.telephony_id, occurredAt: row.ts, raw: row });
const activityRecord = (row: DuoActivityLog): StreamEventRecord => ({ id: row.activity_id, occurredAt: row.ts, raw: row });

/** Canonical JSON (sorted keys) so the same row always hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const adminRecord = (row: DuoAdminLog): StreamEventRecord => ({
  id: createHash('sha256').update(canonicalJson(row)).digest('hex'),
  occurredAt: eventInstant(row),
  raw: row,
});
