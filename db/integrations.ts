import { and, count, eq, isNull, sql } from 'drizzle-orm';
import { AppError } from '../errors/app-error.js';
import type { Queryable } from './client.js';
import type { IntegrationStatus } from './integration-states.js';
import { backfillWindows, duoGroups, duoIntegrations, duoUsers, streamCheckpoints, tenants, type IntegrationSettings } from './schema.js';

export type IntegrationRow = typeof duoIntegrations.$inferSelect;

export async function findIntegration(db: Queryable, tenantId: string): Promise<IntegrationRow | undefined> {
  const [row] = await db.select().from(duoIntegrations).where(eq(duoIntegrations.tenantId, tenantId));
  return row;
}

export interface NewIntegration {
  tenantId: string;
  apiHost: string;
  integrationKey: string;
  secretKeySealed: string;
  encryptionKeyId: string;
  anchorAt: Date;
  backfillStartAt: Date;
  initialSyncWorkflowId: string;
}

/**
 * Stores a freshly connected integration (first connect, or reconnect after a disconnect) and the
 * auth stream's checkpoint at the anchor, in one transaction.
 */
export async function insertIntegration(db: Queryable, input: NewIntegration): Promise<IntegrationRow> {
  await db.insert(tenants).values({ id: input.tenantId }).onConflictDoNothing();
  const values = {
    ...input,
    status: 'syncing' as const,
    lastErrorCode: null,
    lastErrorMessage: null,
    initialSyncRunId: null,
    initialSyncState: 'running' as const,
    initialSyncPhase: 'roster' as const,
    initialSyncStartedAt: new Date(),
    initialSyncCompletedAt: null,
    connectedAt: new Date(),
    disconnectedAt: null,
    purgedAt: null,
    schedulePaused: false,
    pauseNote: null,
    consecutiveFailures: 0,
    updatedAt: new Date(),
  };
  const [row] = await db
    .insert(duoIntegrations)
    .values(values)
    .onConflictDoUpdate({ target: duoIntegrations.tenantId, set: values })
    .returning();
  await db
    .insert(streamCheckpoints)
    .values({ tenantId: input.tenantId, stream: 'auth', syncedThroughMs: input.anchorAt.getTime() })
    .onConflictDoNothing();
  if (!row) throw new Error('insert into duo_integrations returned no row');
  return row;
}

/** Rotation: new keys for an existing integration; synced data, anchor and cursors stay. */
export async function replaceCredentials(
  db: Queryable,
  tenantId: string,
  input: { apiHost: string; integrationKey: string; secretKeySealed: string; encryptionKeyId: string },
): Promise<void> {
  await db
    .update(duoIntegrations)
    .set({ ...input, updatedAt: new Date() })
    .where(eq(duoIntegrations.tenantId, tenantId));
}

export async function setInitialSyncRun(db: Queryable, tenantId: string, runId: string): Promise<void> {
  await db
    .update(duoIntegrations)
    .set({ initialSyncRunId: runId, updatedAt: new Date() })
    .where(eq(duoIntegrations.tenantId, tenantId));
}

/** Clears a previous failure when a new initial-sync run starts (e.g. after new keys); its clock starts again. */
export async function markInitialSyncRestarted(db: Queryable, tenantId: string): Promise<void> {
  await db
    .update(duoIntegrations)
    .set({
      status: 'syncing',
      initialSyncState: 'running',
      // The new run's progress is measured from now: the time the failed run stood still is not its speed.
      initialSyncStartedAt: new Date(),
      lastErrorCode: null,
      lastErrorMessage: null,
      updatedAt: new Date(),
    })
    .where(eq(duoIntegrations.tenantId, tenantId));
}

export async function setInitialSyncPhase(db: Queryable, tenantId: string, phase: string): Promise<void> {
  await db
    .update(duoIntegrations)
    .set({ initialSyncPhase: phase, updatedAt: new Date() })
    .where(eq(duoIntegrations.tenantId, tenantId));
}

export async function markInitialSyncCompleted(db: Queryable, tenantId: string): Promise<void> {
  await db
    .update(duoIntegrations)
    .set({
      status: sql`case when ${duoIntegrations.status} = 'syncing' then 'active' else ${duoIntegrations.status} end`,
      initialSyncState: 'completed',
      initialSyncPhase: 'done',
      initialSyncCompletedAt: new Date(),
      lastErrorCode: null,
      lastErrorMessage: null,
      updatedAt: new Date(),
    })
    .where(eq(duoIntegrations.tenantId, tenantId));
}

/** A failure an operator or the customer must fix (keys, permissions). Data stays. */
export async function markNeedsAttention(
  db: Queryable,
  tenantId: string,
  error: { code: string; message: string },
  options: { initialSyncFailed?: boolean } = {},
): Promise<void> {
  await db
    .update(duoIntegrations)
    .set({
      status: 'needs_attention',
      lastErrorCode: error.code,
      lastErrorMessage: error.message,
      ...(options.initialSyncFailed ? { initialSyncState: 'failed' } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(duoIntegrations.tenantId, tenantId), sql`${duoIntegrations.status} <> 'disconnected'`));
}

export async function setLastError(db: Queryable, tenantId: string, error: { code: string; message: string } | null): Promise<void> {
  await db
    .update(duoIntegrations)
    .set({ lastErrorCode: error?.code ?? null, lastErrorMessage: error?.message ?? null, updatedAt: new Date() })
    .where(eq(duoIntegrations.tenantId, tenantId));
}

export interface TenantCounts {
  users: number;
  groups: number;
  authEvents: number;
}

/** What Postgres holds now. Event counts come from the ingest-maintained counter, not count(*). */
export async function getTenantCounts(db: Queryable, tenantId: string): Promise<TenantCounts> {
  const [users] = await db
    .select({ n: count() })
    .from(duoUsers)
    .where(and(eq(duoUsers.tenantId, tenantId), isNull(duoUsers.deletedAt), eq(duoUsers.inRoster, true)));
  const [groups] = await db
    .select({ n: count() })
    .from(duoGroups)
    .where(and(eq(duoGroups.tenantId, tenantId), isNull(duoGroups.deletedAt)));
  const [auth] = await db
    .select({ n: streamCheckpoints.eventCount })
    .from(streamCheckpoints)
    .where(and(eq(streamCheckpoints.tenantId, tenantId), eq(streamCheckpoints.stream, 'auth')));
  return { users: users?.n ?? 0, groups: groups?.n ?? 0, authEvents: auth?.n ?? 0 };
}

export interface BackfillProgress {
  windowsDone: number;
  windowsKnown: number;
  oldestDoneWindowStartMs: number | null;
  /** Windows finished since the initial sync (re)started: the ones its current speed is measured by. */
  windowsDoneSinceStart?: number;
}

export async function getBackfillProgress(db: Queryable, tenantId: string): Promise<BackfillProgress> {
  const [row] = await db
    .select({
      windowsDone: sql<number>`count(*) filter (where ${backfillWindows.done})::int`,
      windowsKnown: sql<number>`count(*)::int`,
      oldestDoneWindowStartMs: sql<number | null>`min(${backfillWindows.windowStartMs}) filter (where ${backfillWindows.done})`,
      windowsDoneSinceStart: sql<number>`(count(*) filter (where ${backfillWindows.done} and ${backfillWindows.updatedAt} >= (
        select ${duoIntegrations.initialSyncStartedAt} from ${duoIntegrations} where ${duoIntegrations.tenantId} = ${tenantId})))::int`,
    })
    .from(backfillWindows)
    .where(and(eq(backfillWindows.tenantId, tenantId), eq(backfillWindows.stream, 'auth')));
  return {
    windowsDone: row?.windowsDone ?? 0,
    windowsKnown: row?.windowsKnown ?? 0,
    oldestDoneWindowStartMs: row?.oldestDoneWindowStartMs == null ? null : Number(row.oldestDoneWindowStartMs),
    windowsDoneSinceStart: row?.windowsDoneSinceStart ?? 0,
  };
}

export async function getAuthStreamCheckpoint(db: Queryable, tenantId: string) {
  const [row] = await db
    .select()
    .from(streamCheckpoints)
    .where(and(eq(streamCheckpoints.tenantId, tenantId), eq(streamCheckpoints.stream, 'auth')));
  return row;
}

/**
 * Records an incremental run's outcome; returns the consecutive-failure count after it (the streak
 * that pauses the tenant; PUT recovery and resume start it again from zero).
 */
export async function recordIncrementalOutcome(
  db: Queryable,
  tenantId: string,
  outcome: 'completed' | 'failed',
): Promise<{ consecutiveFailures: number }> {
  const [row] = await db.execute<{ consecutive_failures: number }>(sql`
    update duo_integrations i set
      consecutive_failures = case when ${outcome} = 'completed' then 0 else i.consecutive_failures + 1 end,
      last_run_outcome = ${outcome},
      last_run_at = now(),
      last_sync_at = case when ${outcome} = 'completed' then now() else i.last_sync_at end,
      updated_at = now()
    where i.tenant_id = ${tenantId}
    returning i.consecutive_failures`);
  return { consecutiveFailures: row?.consecutive_failures ?? 0 };
}

/** Runs closed as timed out count as failed runs: they lengthen the streak and are the last run seen. */
export async function recordTimedOutRuns(db: Queryable, tenantId: string, runs: number): Promise<void> {
  if (runs <= 0) return;
  await db.execute(sql`
    update duo_integrations set
      consecutive_failures = consecutive_failures + ${runs},
      last_run_outcome = 'failed',
      last_run_at = now(),
      updated_at = now()
    where tenant_id = ${tenantId}`);
}

/** Consecutive failures so far (0 for an unknown tenant). */
export async function getFailureStreak(db: Queryable, tenantId: string): Promise<number> {
  const [row] = await db.select({ n: duoIntegrations.consecutiveFailures }).from(duoIntegrations).where(eq(duoIntegrations.tenantId, tenantId));
  return row?.n ?? 0;
}

/** Desired schedule state plus the status operators and customers see. */
export async function setSchedulePaused(
  db: Queryable,
  tenantId: string,
  paused: boolean,
  note: string | null,
  status: IntegrationStatus,
  error?: { code: string; message: string } | null,
): Promise<void> {
  await db
    .update(duoIntegrations)
    .set({
      schedulePaused: paused,
      pauseNote: note,
      status,
      ...(error !== undefined ? { lastErrorCode: error?.code ?? null, lastErrorMessage: error?.message ?? null } : {}),
      updatedAt: new Date(),
    })
    .where(and(eq(duoIntegrations.tenantId, tenantId), sql`${duoIntegrations.status} <> 'disconnected'`));
}

/**
 * Records the schedule as paused for attention, but only while the integration still needs it: the
 * failure set `needs_attention` when it was recorded, and a PUT or resume since then (or a disconnect)
 * means a human has dealt with it. Returns whether the schedule should be paused.
 */
export async function pauseWhileNeedsAttention(db: Queryable, tenantId: string, note: string): Promise<boolean> {
  const rows = await db
    .update(duoIntegrations)
    .set({ schedulePaused: true, pauseNote: note, updatedAt: new Date() })
    .where(and(eq(duoIntegrations.tenantId, tenantId), eq(duoIntegrations.status, 'needs_attention')))
    .returning({ tenantId: duoIntegrations.tenantId });
  return rows.length > 0;
}

export async function setLastRosterSync(db: Queryable, tenantId: string, at: Date): Promise<void> {
  await db.update(duoIntegrations).set({ lastRosterSyncAt: at }).where(eq(duoIntegrations.tenantId, tenantId));
}

export async function setRetentionAlarm(db: Queryable, tenantId: string, at: Date | null): Promise<void> {
  await db.update(duoIntegrations).set({ retentionAlarmAt: at }).where(eq(duoIntegrations.tenantId, tenantId));
}

export async function listIntegrations(db: Queryable): Promise<IntegrationRow[]> {
  return db.select().from(duoIntegrations);
}

/**
 * Reconnect after a disconnect that kept the data: new keys, same anchor, checkpoints and windows,
 * so the initial sync (if unfinished) and the incremental sync resume where they stopped.
 */
export async function reconnectIntegration(
  db: Queryable,
  tenantId: string,
  input: { apiHost: string; integrationKey: string; secretKeySealed: string; encryptionKeyId: string; initialSyncCompleted: boolean },
): Promise<void> {
  await db
    .update(duoIntegrations)
    .set({
      apiHost: input.apiHost,
      integrationKey: input.integrationKey,
      secretKeySealed: input.secretKeySealed,
      encryptionKeyId: input.encryptionKeyId,
      status: input.initialSyncCompleted ? 'active' : 'syncing',
      initialSyncState: input.initialSyncCompleted ? 'completed' : 'running',
      // An unfinished initial sync runs again from now on: its progress is measured from here.
      ...(input.initialSyncCompleted ? {} : { initialSyncStartedAt: new Date() }),
      lastErrorCode: null,
      lastErrorMessage: null,
      schedulePaused: false,
      pauseNote: null,
      consecutiveFailures: 0,
      connectedAt: new Date(),
      disconnectedAt: null,
      updatedAt: new Date(),
    })
    .where(eq(duoIntegrations.tenantId, tenantId));
}

/** Disconnect: the secret is erased; with `purge` the synced data goes too (the row stays, as a tombstone). */
export async function markDisconnected(db: Queryable, tenantId: string, options: { purge: boolean }): Promise<void> {
  await db
    .update(duoIntegrations)
    .set({
      status: 'disconnected',
      secretKeySealed: null,
      encryptionKeyId: null,
      schedulePaused: true,
      pauseNote: 'disconnected',
      // A repeated disconnect keeps the time of the first.
      disconnectedAt: sql`coalesce(${duoIntegrations.disconnectedAt}, now())`,
      ...(options.purge ? { purgedAt: new Date() } : {}),
      updatedAt: new Date(),
    })
    .where(eq(duoIntegrations.tenantId, tenantId));
}

/** Deletes everything synced for the tenant (users, groups, events, rollups, cursors, run log). */
/** Every table holding a tenant's synced data, children before parents (a test keeps it complete). */
export const tenantDataTables = [
  'duo_user_groups', 'duo_users', 'duo_groups', 'duo_auth_events', 'duo_user_daily_activity',
  'duo_application_daily_activity', 'duo_application_users', 'duo_application_daily_totals', 'duo_applications',
  'duo_telephony_events', 'duo_activity_events',
  'duo_admin_events', 'duo_event_months', 'backfill_windows', 'stream_checkpoints', 'roster_malformed_pages', 'sync_runs',
] as const;

export async function purgeTenantData(db: Queryable, tenantId: string): Promise<void> {
  for (const table of tenantDataTables) {
    await db.execute(sql`delete from ${sql.identifier(table)} where tenant_id = ${tenantId}`);
  }
}

export async function updateSettings(db: Queryable, tenantId: string, settings: IntegrationSettings): Promise<void> {
  await db.update(duoIntegrations).set({ settings, updatedAt: new Date() }).where(eq(duoIntegrations.tenantId, tenantId));
}

/** Forces a roster refresh on the next incremental run. */
export async function requestRosterRefresh(db: Queryable, tenantId: string): Promise<void> {
  await db.update(duoIntegrations).set({ lastRosterSyncAt: null }).where(eq(duoIntegrations.tenantId, tenantId));
}

/**
 * A human stepped in (PUT with working keys, or resume): the failure streak and every malformed-page
 * streak start over, so a page that stalled the sync gets its full number of attempts again instead
 * of stalling it at the first glitch.
 */
export async function resetFailureStreak(db: Queryable, tenantId: string): Promise<void> {
  await db.update(duoIntegrations).set({ consecutiveFailures: 0 }).where(eq(duoIntegrations.tenantId, tenantId));
  await db.execute(sql`update backfill_windows set malformed_streak = 0, malformed_at = null where tenant_id = ${tenantId} and malformed_streak > 0`);
  await db.execute(sql`update stream_checkpoints set malformed_streak = 0, malformed_at = null where tenant_id = ${tenantId} and malformed_streak > 0`);
  await db.execute(sql`delete from roster_malformed_pages where tenant_id = ${tenantId}`);
}

/**
 * Called in every page transaction: holds a share lock on the integration row so a disconnect (which
 * updates it) cannot interleave, and refuses to write for a tenant that is gone or disconnected.
 */
export async function assertConnectedForWrite(db: Queryable, tenantId: string): Promise<void> {
  const [row] = await db.execute<{ status: string }>(sql`select status from duo_integrations where tenant_id = ${tenantId} for share`);
  if (!row || row.status === 'disconnected') {
    throw new AppError('INTEGRATION_NOT_CONNECTED', `Tenant ${tenantId} was disconnected; page not stored`);
  }
}
