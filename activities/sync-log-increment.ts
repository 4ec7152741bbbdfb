import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { recordEventsIngested } from '../config/metrics.js';
import { storeAuthEvents } from '../db/auth-events.js';
import type { Transaction } from '../db/client.js';
import { assertConnectedForWrite, findIntegration } from '../db/integrations.js';
import { storeStreamEvents, type StreamEventRecord } from '../db/optional-streams.js';
import {
  advanceIncrementalWindow,
  ensureStreamCheckpoint,
  pinIncrementalWindow,
  setSyncedThrough,
} from '../db/stream-checkpoints.js';
import { DUO_LOG_DELAY_MS, DUO_MAX_LOG_AGE_MS, type DuoClient, type LogPage } from '../duo/client.js';
import type { DuoActivityLog, DuoAdminLog, DuoTelephonyLog } from '../duo/schemas.js';
import { AppError } from '../errors/app-error.js';
import type { LogStream } from '../workflows/types.js';
import type { ActivityDeps } from './deps.js';
import { eventInstant, toAuthEventRecord } from './duo-records.js';
import { stallIfPersistentlyMalformed } from './failures.js';
import { loadDuoClient } from './tenant-connection.js';
import { INCREMENTAL_MAX_ATTEMPTS } from '../workflows/activity-options.js';

/** One run pages at most one day per stream call, so a long-paused tenant catches up over several calls. */
export const MAX_INCREMENT_MS = 24 * 60 * 60 * 1000;

export interface LogIncrementResult {
  events: number;
  pages: number;
  /** The stream reached now minus Duo's delay: nothing more to fetch in this run. */
  caughtUp: boolean;
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
  const integration = await findIntegration(deps.db, tenantId);
  if (!integration) throw new AppError('TENANT_NOT_FOUND', `Tenant ${tenantId} has no Duo integration`);
  const now = Date.now();
  const earliestServedMs = now - DUO_MAX_LOG_AGE_MS + 60_000;
  const checkpoint = await ensureStreamCheckpoint(deps.db, tenantId, stream, Math.max(integration.anchorAt.getTime(), earliestServedMs));
  let pages = 0;
  let events = 0;
  const beat = () => context.heartbeat({ pages, events });
  const duo = await loadDuoClient(deps, tenantId, { onBudgetWait: beat });

  if (stream === 'administrator') return syncAdministratorIncrement(deps, duo, tenantId, checkpoint.syncedThroughMs, beat);

  const latestEndMs = now - DUO_LOG_DELAY_MS - deps.config.DUO_LOG_SAFETY_SECONDS * 1000;
  // Data older than Duo's horizon is gone; start at what Duo still serves.
  const startMs = Math.max(checkpoint.syncedThroughMs, earliestServedMs);
  const pinned = await pinIncrementalWindow(deps.db, tenantId, stream, Math.min(latestEndMs, startMs + MAX_INCREMENT_MS));
  const windowEndMs = pinned.windowEndMs ?? latestEndMs;
  if (windowEndMs <= startMs) {
    await advanceIncrementalWindow(deps.db, tenantId, stream, { cursor: null });
    return { events: 0, pages: 0, caughtUp: true, syncedThroughMs: checkpoint.syncedThroughMs };
  }
  const window = { mintimeMs: startMs, maxtimeMs: windowEndMs, cursor: pinned.cursor, signal: context.cancellationSignal };
  beat();
  let cursor = pinned.cursor;
  const store = async (page: LogPage<unknown>, write: (tx: Transaction) => Promise<number>) => {
    const inserted = await deps.db.transaction(async (tx) => {
      await assertConnectedForWrite(tx, tenantId);
      const n = await write(tx);
      await advanceIncrementalWindow(tx, tenantId, stream, { cursor: page.next });
      return n;
    });
    events += inserted;
    recordEventsIngested(stream, inserted);
    pages += 1;
    cursor = page.next;
    beat();
  };
  try {
    if (stream === 'auth') {
      for await (const page of duo.authLogPages(window)) {
        await store(page, async (tx) => (await storeAuthEvents(tx, tenantId, page.items.map(toAuthEventRecord))).inserted);
      }
    } else if (stream === 'telephony') {
      for await (const page of duo.telephonyLogPages(window)) {
        await store(page, (tx) => storeStreamEvents(tx, tenantId, 'telephony', page.items.map(telephonyRecord)));
      }
    } else {
      for await (const page of duo.activityLogPages(window)) {
        await store(page, (tx) => storeStreamEvents(tx, tenantId, 'activity', page.items.map(activityRecord)));
      }
    }
  } catch (error) {
    // On the run's last attempt a persistently malformed page stops the stream, naming where.
    const position = `${stream} window ${new Date(startMs).toISOString()}..${new Date(windowEndMs).toISOString()}, cursor ${cursor ?? '(window start)'} (kept in stream_checkpoints)`;
    throw stallIfPersistentlyMalformed(error, context.info.attempt, position, INCREMENTAL_MAX_ATTEMPTS);
  }
  return { events, pages, caughtUp: windowEndMs >= latestEndMs, syncedThroughMs: windowEndMs };
}

/**
 * Administrator logs (v1) have no maxtime and no ids: scan from the checkpoint's second (inclusive,
 * so boundary rows repeat) and dedupe by a hash of each row.
 */
async function syncAdministratorIncrement(
  deps: ActivityDeps,
  duo: DuoClient,
  tenantId: string,
  syncedThroughMs: number,
  beat: () => void,
): Promise<LogIncrementResult> {
  let events = 0;
  let pages = 0;
  let through = syncedThroughMs;
  for await (const page of duo.adminLogPages({ mintimeSec: Math.floor(syncedThroughMs / 1000), signal: Context.current().cancellationSignal })) {
    const newest = page.items.reduce((max, row) => Math.max(max, row.timestamp * 1000), through);
    const inserted = await deps.db.transaction(async (tx) => {
      await assertConnectedForWrite(tx, tenantId);
      const n = await storeStreamEvents(tx, tenantId, 'administrator', page.items.map(adminRecord));
      await setSyncedThrough(tx, tenantId, 'administrator', newest);
      return n;
    });
    events += inserted;
    recordEventsIngested('administrator', inserted);
    through = newest;
    pages += 1;
    beat();
  }
  return { events, pages, caughtUp: true, syncedThroughMs: through };
}

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
