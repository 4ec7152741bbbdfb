import { and, count, eq, isNull, sql } from 'drizzle-orm';
import { IntegrationNotConnectedError, TenantNotFoundError } from '../errors/integration-errors.js';
import type { Queryable } from './client.js';
import { backfillWindows, duoGroups, duoIntegrations, duoUsers, streamCheckpoints, tenants, type IntegrationSettings } from './schema.js';

export type IntegrationRow = typeof duoIntegrations.$inferSelect;

/** An integration with keys to sync with: not disconnected or purging, keys stored. */
export type ConnectedIntegration = IntegrationRow & { secretKeySealed: string; apiHost: string; integrationKey: string };

export async function findIntegration(db: Queryable, tenantId: string): Promise<IntegrationRow | undefined> {
  const [row] = await db.select().from(duoIntegrations).where(eq(duoIntegrations.tenantId, tenantId));
  return row;
}

export interface RequireOptions {
  /** Refuse a disconnected integration too (INTEGRATION_NOT_CONNECTED). */
  connected?: boolean;
  /**
   * `share`: hold a share lock on the row until the transaction ends, so a disconnect (which updates
   * it) cannot interleave with the write that follows; used in every page transaction.
   */
  lock?: 'share';
}

/**
 * The one guard for "which integration?": TENANT_NOT_FOUND when there is none, and with `connected`
 * INTEGRATION_NOT_CONNECTED when it is disconnected, each with one wording wherever it is raised.
 */
export async function requireIntegration(db: Queryable, tenantId: string, options: RequireOptions & { connected: true }): Promise<ConnectedIntegration>;
export async function requireIntegration(db: Queryable, tenantId: string, options?: RequireOptions): Promise<IntegrationRow>;
export async function requireIntegration(db: Queryable, tenantId: string, options: RequireOptions = {}): Promise<IntegrationRow> {
  const query = db.select().from(duoIntegrations).where(eq(duoIntegrations.tenantId, tenantId));
  const [row] = options.lock === 'share' ? await query.for('share') : await query;
  if (!row) throw new TenantNotFoundError(tenantId);
  if (options.connected && !isConnected(row)) throw new IntegrationNotConnectedError(tenantId);
  return row;
}

export function isConnected(row: IntegrationRow): row is ConnectedIntegration {
  return row.status !== 'disconnected' && row.status !== 'purging' && row.secretKeySealed !== null && row.apiHost !== null && row.integrationKey !== null;
}

/**
 * The row, locked for update until the transaction ends: a lifecycle transition reads the state it
 * starts from and writes the next one with no other writer in between.
 */
export async function lockIntegration(tx: Queryable, tenantId: string): Promise<IntegrationRow | undefined> {
  const [row] = await tx.select().from(duoIntegrations).where(eq(duoIntegrations.tenantId, tenantId)).for('update');
  return row;
}

/**
 * Whether the tenant's sync is paused, read under a key-share lock held until the transaction ends.
 * Every lifecycle transition locks the row FOR UPDATE, so a pause waits for whoever holds this lock
 * and commits only after them: what reads "not paused" here may act on it until it commits.
 */
export async function isPausedHoldingRow(tx: Queryable, tenantId: string): Promise<boolean> {
  const [row] = await tx.select({ status: duoIntegrations.status }).from(duoIntegrations).where(eq(duoIntegrations.tenantId, tenantId)).for('key share');
  return row?.status === 'paused';
}

/** The lifecycle columns one transition writes; only integrations/transitions.ts writes them. */
export type IntegrationStateChange = Partial<Omit<typeof duoIntegrations.$inferInsert, 'tenantId' | 'settings'>>;

export async function writeIntegrationState(tx: Queryable, tenantId: string, change: IntegrationStateChange): Promise<void> {
  await tx
    .update(duoIntegrations)
    .set({ ...change, updatedAt: new Date() })
    .where(eq(duoIntegrations.tenantId, tenantId));
}

/**
 * Stores a freshly connected integration (first connect, or connect after a purge) with the tenant and
 * the auth stream's checkpoint at the anchor; a tombstone of the tenant is overwritten whole. Only the
 * `connect` transition (integrations/transitions.ts) calls it, inside its transaction.
 */
export async function upsertIntegration(db: Queryable, fresh: typeof duoIntegrations.$inferInsert): Promise<IntegrationRow> {
  await db.insert(tenants).values({ id: fresh.tenantId }).onConflictDoNothing();
  const values = { ...fresh, updatedAt: new Date() };
  const [row] = await db
    .insert(duoIntegrations)
    .values(values)
    .onConflictDoUpdate({ target: duoIntegrations.tenantId, set: values })
    .returning();
  await db
    .insert(streamCheckpoints)
    .values({ tenantId: values.tenantId, stream: 'auth', syncedThroughMs: values.anchorAt.getTime() })
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

export async function setLastRosterSync(db: Queryable, tenantId: string, at: Date): Promise<void> {
  await db.update(duoIntegrations).set({ lastRosterSyncAt: at }).where(eq(duoIntegrations.tenantId, tenantId));
}

export async function setRetentionAlarm(db: Queryable, tenantId: string, at: Date | null): Promise<void> {
  await db.update(duoIntegrations).set({ retentionAlarmAt: at }).where(eq(duoIntegrations.tenantId, tenantId));
}

export async function listIntegrations(db: Queryable): Promise<IntegrationRow[]> {
  return db.select().from(duoIntegrations);
}

/** Every table holding a tenant's synced data, children before parents (a test keeps it complete); a purge empties them batch by batch (db/data-deletion.ts). */
export const tenantDataTables = [
  'duo_user_groups', 'duo_users', 'duo_groups', 'duo_auth_events', 'duo_user_daily_activity',
  'duo_application_daily_activity', 'duo_application_users', 'duo_application_daily_totals', 'duo_applications',
  'duo_telephony_events', 'duo_activity_events',
  'duo_admin_events', 'duo_event_months', 'backfill_windows', 'stream_checkpoints', 'roster_malformed_pages', 'sync_runs',
  'late_log_sweeps', 'duo_account_facts', 'duo_application_catalogue',
] as const;

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

/** The tenant's webhook receiver and sealed signing secret; undefined leaves a field as it is. */
export async function setWebhook(db: Queryable, tenantId: string, change: { webhookUrl?: string | null; webhookSecretSealed?: string | null }): Promise<void> {
  await db.update(duoIntegrations).set({ ...change, updatedAt: new Date() }).where(eq(duoIntegrations.tenantId, tenantId));
}
