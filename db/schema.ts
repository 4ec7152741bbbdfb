import { sql, type SQL } from 'drizzle-orm';
import {
  bigint,
  customType,
  boolean,
  check,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import {
  initialSyncPhases,
  initialSyncStates,
  integrationStatuses,
  purgePhases,
  runOutcomes,
  type InitialSyncPhase,
  type PurgePhase,
  type InitialSyncState,
  type IntegrationStatus,
  type RunOutcome,
} from './integration-states.js';

/**
 * The one schema module. Every Duo row is keyed by (tenant_id, Duo's natural id) so re-delivered pages
 * upsert instead of duplicating. Columns are camelCase here and snake_case in SQL (casing option).
 * Why these keys and indexes: db/README.md.
 */

const tstz = () => timestamp({ withTimezone: true, mode: 'date' });

/**
 * `column in ('a', 'b', …)` from one of the lists in db/integration-states.ts, so the CHECK constraint
 * and the TypeScript union cannot drift. DDL takes no parameters: the values are inlined, and only
 * plain lower-case words may be.
 */
function isOneOf(column: AnyPgColumn, values: readonly string[]): SQL {
  for (const value of values) {
    if (!/^[a-z_]+$/.test(value)) throw new Error(`not a plain lower-case word: ${JSON.stringify(value)}`);
  }
  return sql`${column} in (${sql.raw(values.map((value) => `'${value}'`).join(', '))})`;
}

export const tenants = pgTable('tenants', {
  id: text().primaryKey(),
  createdAt: tstz().notNull().defaultNow(),
});

/** Per-integration settings the lifecycle API changes; validated by the API, read by activities. */
export interface IntegrationSettings {
  syncIntervalMinutes?: number;
  streams?: { telephony?: boolean; activity?: boolean; administrator?: boolean };
  rosterRefreshHourUtc?: number;
  /** Days this tenant's raw events are kept; absent: EVENT_RETENTION_DAYS. */
  eventRetentionDays?: number;
}

export const duoIntegrations = pgTable(
  'duo_integrations',
  {
    tenantId: text().primaryKey().references(() => tenants.id, { onDelete: 'cascade' }),
    /** Null only on a purged tenant's tombstone, which keeps no credential and nothing to identify the account. */
    apiHost: text(),
    integrationKey: text(),
    /** AES-256-GCM sealed secret key: `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts). Null once disconnected. */
    secretKeySealed: text(),
    encryptionKeyId: text(),
    /** Written only by integrations/transitions.ts, as are the initial-sync state and phase, pause note and last error. */
    status: text().$type<IntegrationStatus>().notNull(),
    lastErrorCode: text(),
    lastErrorMessage: text(),
    /** When the last error was recorded; null with no error. */
    lastErrorAt: tstz(),
    /** Instant pinned at connect: the initial backfill covers [anchor − BACKFILL_DAYS, anchor). */
    anchorAt: tstz().notNull(),
    backfillStartAt: tstz().notNull(),
    initialSyncWorkflowId: text(),
    initialSyncRunId: text(),
    initialSyncState: text().$type<InitialSyncState>().notNull(),
    initialSyncPhase: text().$type<InitialSyncPhase>().notNull(),
    initialSyncStartedAt: tstz().notNull(),
    initialSyncCompletedAt: tstz(),
    settings: jsonb().$type<IntegrationSettings>().notNull().default({}),
    /** Desired state of the incremental schedule; reconciliation makes Temporal match it. */
    schedulePaused: boolean().notNull().default(false),
    pauseNote: text(),
    consecutiveFailures: integer().notNull().default(0),
    lastRunOutcome: text().$type<RunOutcome>(),
    lastRunAt: tstz(),
    lastSyncAt: tstz(),
    lastRosterSyncAt: tstz(),
    /** Set while a stream's checkpoint is within 7 days of Duo's 180-day horizon (webhook sent once). */
    retentionAlarmAt: tstz(),
    /** The tenant's own webhook receiver; null: NOTIFY_WEBHOOK_URL. */
    webhookUrl: text(),
    /** Its signing secret, sealed like the Duo secret (context `webhook-secret:<tenant>`); never returned. */
    webhookSecretSealed: text(),
    connectedAt: tstz().notNull().defaultNow(),
    disconnectedAt: tstz(),
    /** Set by a disconnect with purge: the next connect starts from scratch with a new anchor. */
    purgedAt: tstz(),
    updatedAt: tstz().notNull().defaultNow(),
    /**
     * Raised by the trigger `duo_integrations_schedule_desired_version` (drizzle/0005_reconcile_markers.sql)
     * on every update that changes what the schedule should be (status, pause, pause note, settings),
     * so no writer can forget it. Reconciliation copies it to `scheduleReconciledVersion` once Temporal
     * matches: a pass visits only rows where the two differ.
     */
    scheduleDesiredVersion: bigint({ mode: 'number' }).notNull().default(1),
    scheduleReconciledVersion: bigint({ mode: 'number' }).notNull().default(0),
  },
  (t) => [
    // The tenants a changed-only reconciliation pass visits, without reading the others.
    index('duo_integrations_schedule_pending_index')
      .on(t.tenantId)
      .where(sql`${t.scheduleDesiredVersion} <> ${t.scheduleReconciledVersion}`),
    // GET /v1/tenants?status=…: one status, keyset by tenant.
    index('duo_integrations_status_tenant_index').on(t.status, t.tenantId),
    check('duo_integrations_status_check', isOneOf(t.status, integrationStatuses)),
    check('duo_integrations_initial_sync_state_check', isOneOf(t.initialSyncState, initialSyncStates)),
    check('duo_integrations_initial_sync_phase_check', isOneOf(t.initialSyncPhase, initialSyncPhases)),
    check('duo_integrations_last_run_outcome_check', isOneOf(t.lastRunOutcome, runOutcomes)),
  ],
);

export const duoGroups = pgTable(
  'duo_groups',
  {
    tenantId: text().notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    groupId: text().notNull(),
    name: text().notNull(),
    description: text(),
    status: text(),
    raw: jsonb().notNull(),
    firstSeenAt: tstz().notNull().defaultNow(),
    lastSeenAt: tstz().notNull().defaultNow(),
    deletedAt: tstz(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.groupId] })],
);

export const duoUsers = pgTable(
  'duo_users',
  {
    tenantId: text().notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    userId: text().notNull(),
    username: text().notNull(),
    realname: text(),
    email: text(),
    status: text().notNull(),
    isEnrolled: boolean().notNull().default(false),
    /** Duo's `created` (account creation in Duo). */
    createdInDuoAt: tstz(),
    /** Duo's `last_login`. */
    lastLoginAt: tstz(),
    aliases: text().array().notNull().default(sql`'{}'::text[]`),
    raw: jsonb(),
    /** Newest successful authentication we hold (maintained at ingest, same transaction as the events). */
    lastSuccessAt: tstz(),
    /** greatest(lastSuccessAt, lastLoginAt): what inactivity filters compare. */
    lastActivityAt: tstz(),
    /** False for users known only from authentication events (not yet in the roster). */
    inRoster: boolean().notNull().default(true),
    firstSeenAt: tstz().notNull().defaultNow(),
    lastSeenAt: tstz().notNull().defaultNow(),
    deletedAt: tstz(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.userId] }),
    index().on(t.tenantId, t.username),
    index().on(t.tenantId, t.status),
    index().on(t.tenantId, t.lastActivityAt),
    // Covers every column the roster-wide usage passes read (totals, thresholds, reclaim candidates,
    // group member counts), so they are index-only scans instead of reads of wide, raw-JSON rows.
    // Trailing key columns rather than INCLUDE, which the schema builder cannot express.
    index('duo_users_current_roster_activity_index')
      .on(t.tenantId, t.status, t.lastActivityAt, t.userId, t.createdInDuoAt, t.isEnrolled)
      .where(sql`${t.inRoster} and ${t.deletedAt} is null`),
  ],
);

export const duoUserGroups = pgTable(
  'duo_user_groups',
  {
    tenantId: text().notNull(),
    userId: text().notNull(),
    groupId: text().notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId, t.groupId] }), index().on(t.tenantId, t.groupId)],
);

/** Bytes as stored: the compressed raw events (db/event-codec.ts). */
const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * Partitioned by month of occurred_at (drizzle/0004_partitioned_events.sql; partitions are created
 * ahead by db/event-partitions.ts), so a month past retention is dropped whole. The partition key
 * is part of every unique key; a txid never changes its time, so dedupe still holds. Only the
 * columns SQL filters or folds on are columns; everything else Duo sent is in `raw`, compressed.
 * No foreign key: an RI check per inserted row costs ingest time, and purges delete these rows
 * themselves. Sizes and the choices behind them: db/README.md.
 */
export const duoAuthEvents = pgTable(
  'duo_auth_events',
  {
    occurredAt: tstz().notNull(),
    ingestedAt: tstz().notNull().defaultNow(),
    tenantId: text().notNull(),
    txid: text().notNull(),
    userId: text(),
    result: text(),
    applicationKey: text(),
    applicationName: text(),
    /** Duo's event as received, encoded by db/event-codec.ts (first byte: the codec). */
    raw: bytea().notNull(),
  },
  (t) => [
    // Time second: a tenant's rows of a period are one index range (retention, oldest/newest), and
    // inserts arriving in time order fill index pages instead of splitting them at random txids.
    primaryKey({ columns: [t.tenantId, t.occurredAt, t.txid] }),
    index().on(t.tenantId, t.userId, t.occurredAt),
  ],
);

/** Optional streams (off by default): telephony v2, activity v2 and administrator v1 logs; partitioned like duo_auth_events. */
export const duoTelephonyEvents = pgTable(
  'duo_telephony_events',
  {
    tenantId: text().notNull(),
    telephonyId: text().notNull(),
    occurredAt: tstz().notNull(),
    raw: jsonb().notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.occurredAt, t.telephonyId] })],
);

export const duoActivityEvents = pgTable(
  'duo_activity_events',
  {
    tenantId: text().notNull(),
    activityId: text().notNull(),
    occurredAt: tstz().notNull(),
    raw: jsonb().notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.occurredAt, t.activityId] })],
);

/** Administrator log rows carry no id: the key is a SHA-256 of the row's canonical JSON. */
export const duoAdminEvents = pgTable(
  'duo_admin_events',
  {
    tenantId: text().notNull(),
    rowHash: text().notNull(),
    occurredAt: tstz().notNull(),
    raw: jsonb().notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.occurredAt, t.rowHash] })],
);

/**
 * Rows stored per tenant, stream and UTC month, maintained at ingest: what a dropped month's
 * partition held for each tenant, so its counters stay exact without counting the partition.
 */
export const duoEventMonths = pgTable(
  'duo_event_months',
  {
    tenantId: text().notNull(),
    stream: text().notNull(),
    month: date({ mode: 'string' }).notNull(),
    events: bigint({ mode: 'number' }).notNull(),
    oldestAt: tstz().notNull(),
    newestAt: tstz().notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.stream, t.month] }), index().on(t.stream, t.month)],
);

/** Per user and UTC day: maintained at ingest from the rows that were newly inserted. */
export const duoUserDailyActivity = pgTable(
  'duo_user_daily_activity',
  {
    tenantId: text().notNull(),
    userId: text().notNull(),
    day: date({ mode: 'string' }).notNull(),
    authCount: integer().notNull().default(0),
    successCount: integer().notNull().default(0),
    deniedCount: integer().notNull().default(0),
    fraudCount: integer().notNull().default(0),
    lastSuccessAt: tstz(),
  },
  (t) => [
    // The migration makes the key INCLUDE auth_count: a page of users' counts without a heap visit
    // per user-day, from the one index the upsert maintains anyway.
    primaryKey({ columns: [t.tenantId, t.userId, t.day] }),
    index().on(t.tenantId, t.day),
  ],
);

/** Per application, user and UTC day: answers distinct users per application cheaply. */
export const duoApplicationDailyActivity = pgTable(
  'duo_application_daily_activity',
  {
    tenantId: text().notNull(),
    applicationKey: text().notNull(),
    userId: text().notNull(),
    day: date({ mode: 'string' }).notNull(),
    authCount: integer().notNull().default(0),
    successCount: integer().notNull().default(0),
    deniedCount: integer().notNull().default(0),
    fraudCount: integer().notNull().default(0),
    lastAt: tstz(),
  },
  (t) => [
    // Read per user only (applications30d, a group's applications), so the key leads with the user;
    // the migration makes it INCLUDE the counts, so those reads are index-only from the one index
    // the upsert maintains anyway.
    primaryKey({ columns: [t.tenantId, t.userId, t.day, t.applicationKey] }),
    // Rollup retention deletes by day.
    index().on(t.tenantId, t.day),
  ],
);

/**
 * Per application and user, all time: when the user last used the application and last succeeded.
 * Distinct active users of an application in N days are then one index range of
 * (tenant_id, application_key, last_success_at), not a pass over every user-day row of the window.
 */
export const duoApplicationUsers = pgTable(
  'duo_application_users',
  {
    tenantId: text().notNull(),
    applicationKey: text().notNull(),
    userId: text().notNull(),
    lastSuccessAt: tstz(),
    lastAt: tstz().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.tenantId, t.applicationKey, t.userId] }),
    index().on(t.tenantId, t.applicationKey, t.lastSuccessAt),
  ],
);

/** Per application and UTC day, summed over identified users: the application totals of a window. */
export const duoApplicationDailyTotals = pgTable(
  'duo_application_daily_totals',
  {
    tenantId: text().notNull(),
    applicationKey: text().notNull(),
    day: date({ mode: 'string' }).notNull(),
    authCount: integer().notNull().default(0),
    successCount: integer().notNull().default(0),
    deniedCount: integer().notNull().default(0),
    fraudCount: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.applicationKey, t.day] })],
);

export const duoApplications = pgTable(
  'duo_applications',
  {
    tenantId: text().notNull(),
    applicationKey: text().notNull(),
    name: text(),
    lastUsedAt: tstz(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.applicationKey] })],
);

/**
 * One row per day window of the initial backfill. The cursor is saved in the same transaction as the
 * rows of each page, so a retried or crashed activity resumes exactly where the last commit ended.
 */
export const backfillWindows = pgTable(
  'backfill_windows',
  {
    tenantId: text().notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    stream: text().notNull(),
    windowStartMs: bigint({ mode: 'number' }).notNull(),
    windowEndMs: bigint({ mode: 'number' }).notNull(),
    cursor: text(),
    done: boolean().notNull().default(false),
    pages: integer().notNull().default(0),
    events: integer().notNull().default(0),
    /**
     * Consecutive malformed Duo answers at the page `malformedAt` (the cursor it was requested with,
     * '' for the window's first page); any stored page clears it. Enough in a row stops the sync.
     */
    malformedStreak: integer().notNull().default(0),
    malformedAt: text(),
    updatedAt: tstz().notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.stream, t.windowStartMs] })],
);

/**
 * Incremental position per tenant and stream: everything before `syncedThroughMs` is stored; a window
 * in progress is pinned by `windowEndMs` with its page `cursor`.
 */
export const streamCheckpoints = pgTable(
  'stream_checkpoints',
  {
    tenantId: text().notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    stream: text().notNull(),
    syncedThroughMs: bigint({ mode: 'number' }).notNull(),
    windowEndMs: bigint({ mode: 'number' }),
    cursor: text(),
    /** Rows of this stream stored for the tenant, counted at ingest (a count(*) over 50M rows is slow). */
    eventCount: bigint({ mode: 'number' }).notNull().default(0),
    oldestEventAt: tstz(),
    newestEventAt: tstz(),
    enabled: boolean().notNull().default(true),
    /** As on backfill_windows: consecutive malformed answers at the position `malformedAt`; a stored page clears it. */
    malformedStreak: integer().notNull().default(0),
    malformedAt: text(),
    updatedAt: tstz().notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.stream] })],
);

/**
 * The roster rescans from its first page on every attempt and keeps no cursor, so its streak of
 * malformed answers lives here: consecutive malformed answers at `malformedAt` (e.g. "users offset
 * 600"), cleared when the page at that position is stored. Enough in a row stops the sync.
 */
export const rosterMalformedPages = pgTable('roster_malformed_pages', {
  tenantId: text().primaryKey().references(() => tenants.id, { onDelete: 'cascade' }),
  malformedStreak: integer().notNull().default(0),
  malformedAt: text(),
  updatedAt: tstz().notNull().defaultNow(),
});

export const syncRuns = pgTable(
  'sync_runs',
  {
    id: serial().primaryKey(),
    tenantId: text().notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    /** initial | incremental | roster */
    kind: text().notNull(),
    workflowId: text().notNull(),
    runId: text().notNull(),
    startedAt: tstz().notNull().defaultNow(),
    finishedAt: tstz(),
    /** running | completed | failed | cancelled */
    outcome: text().notNull().default('running'),
    counts: jsonb().$type<Record<string, number>>().notNull().default({}),
    errorCode: text(),
    errorMessage: text(),
  },
  (t) => [index().on(t.tenantId, t.startedAt), uniqueIndex().on(t.workflowId, t.runId)],
);

/**
 * One shared request budget per Duo account (API host) and endpoint class, used by every worker
 * process: an adaptive token bucket whose rate halves on a 429 and creeps back up on success.
 */
export const duoRateBudgets = pgTable('duo_rate_budgets', {
  budgetKey: text().primaryKey(),
  tokens: doublePrecision().notNull(),
  /** Multiplier in (0, 1] applied to the configured rate. */
  rateFactor: doublePrecision().notNull().default(1),
  /** The factor at which Duo last answered 429: recovery is fast below it and a slow probe above. */
  limitedFactor: doublePrecision(),
  blockedUntil: tstz(),
  refilledAt: tstz().notNull().defaultNow(),
  requests: bigint({ mode: 'number' }).notNull().default(0),
  rateLimited: bigint({ mode: 'number' }).notNull().default(0),
});

/**
 * One row per tenant whose data is (or was) purged: the purge workflow's progress, written in the
 * same transaction as each batch it deletes, so the figures are exact across worker restarts.
 * Counts only: no credential, no Duo data. Replaced by the next purge of the tenant.
 */
export const tenantPurges = pgTable(
  'tenant_purges',
  {
    tenantId: text().primaryKey().references(() => tenants.id, { onDelete: 'cascade' }),
    workflowId: text().notNull(),
    phase: text().$type<PurgePhase>().notNull(),
    /** Rows deleted so far, per table. */
    deleted: jsonb().$type<Record<string, number>>().notNull().default({}),
    rowsDeleted: bigint({ mode: 'number' }).notNull().default(0),
    startedAt: tstz().notNull().defaultNow(),
    updatedAt: tstz().notNull().defaultNow(),
    completedAt: tstz(),
  },
  (t) => [check('tenant_purges_phase_check', isOneOf(t.phase, purgePhases))],
);

/** Lets a process detect a wrong ENCRYPTION_KEY at start-up instead of failing on the first decrypt. */
export const encryptionKeyChecks = pgTable('encryption_key_checks', {
  keyId: text().primaryKey(),
  checkValue: text().notNull(),
  createdAt: tstz().notNull().defaultNow(),
});

/**
 * One row per periodic job that needs memory across workers and restarts: for the schedule
 * reconciler, when the last full sweep ran and with which service defaults (a changed default
 * interval or task queue reaches every schedule on the next pass, not after the next sweep).
 */
export const reconcilerState = pgTable('reconciler_state', {
  name: text().primaryKey(),
  lastPassAt: tstz(),
  lastFullSweepAt: tstz(),
  configFingerprint: text(),
});

/**
 * The late-arrival sweep per tenant: when it last completed, and the window it is paging (pinned with
 * its cursor, so a sweep stopped by a retry or the run's paging budget resumes at its last page).
 */
export const lateLogSweeps = pgTable('late_log_sweeps', {
  tenantId: text().primaryKey().references(() => tenants.id, { onDelete: 'cascade' }),
  lastSweptAt: tstz(),
  windowStartMs: bigint({ mode: 'number' }),
  windowEndMs: bigint({ mode: 'number' }),
  cursor: text(),
  /** Events the sweeps stored that the incremental sync had not: Duo published them late. */
  lateEventsFound: bigint({ mode: 'number' }).notNull().default(0),
  /** What the last completed sweep found. */
  lastFound: integer().notNull().default(0),
  updatedAt: tstz().notNull().defaultNow(),
});

/**
 * Facts of the Duo account that need optional grants: which grants the keys have (checked at connect),
 * and, with "Grant read information", the account summary the roster refresh last fetched.
 */
export const duoAccountFacts = pgTable('duo_account_facts', {
  tenantId: text().primaryKey().references(() => tenants.id, { onDelete: 'cascade' }),
  /** true granted, false refused (403), null unknown: as the credential check answered. */
  readInformation: boolean(),
  readApplications: boolean(),
  grantsCheckedAt: tstz(),
  userCount: integer(),
  adminCount: integer(),
  integrationCount: integer(),
  userPendingDeletionCount: integer(),
  summaryFetchedAt: tstz(),
  catalogueFetchedAt: tstz(),
});

/**
 * Every protected application of the account as Duo's applications list names it ("Grant
 * applications"), used or not: the auth logs only ever show applications someone used.
 * `applicationKey` is Duo's integration key, the key auth events carry.
 */
export const duoApplicationCatalogue = pgTable(
  'duo_application_catalogue',
  {
    tenantId: text().notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    applicationKey: text().notNull(),
    name: text().notNull(),
    type: text(),
    fetchedAt: tstz().notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.applicationKey] })],
);

/** What an API key may do; `admin` implies every other scope. Spelled as in the HTTP contract. */
export const apiKeyScopes = ['integrations:write', 'integrations:read', 'usage:read', 'metrics:read', 'admin'] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

/**
 * API keys beside the bootstrap API_TOKEN. Only the SHA-256 of the secret is stored: a key cannot be
 * shown again, only revoked. The id is also the lookup prefix inside the secret. No foreign key to
 * tenants: a key may be issued for a tenant before it connects.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text().primaryKey(),
    name: text().notNull(),
    /** Hex SHA-256 of the whole secret. */
    secretHash: text().notNull(),
    scopes: text().array().$type<ApiKeyScope[]>().notNull(),
    /** Set: the key sees only this tenant; every other one answers as if it did not exist. */
    tenantId: text(),
    createdAt: tstz().notNull().defaultNow(),
    expiresAt: tstz(),
    /** Updated at most once a minute per key, not on every request. */
    lastUsedAt: tstz(),
    revokedAt: tstz(),
  },
  (t) => [check('api_keys_scopes_known', sql`${t.scopes} <@ array['integrations:write', 'integrations:read', 'usage:read', 'metrics:read', 'admin']::text[] and cardinality(${t.scopes}) > 0`)],
);

/**
 * One row per state-changing request that passed authentication: who (key id and name, never the
 * secret), which tenant, what, with which outcome (HTTP status). Kept AUDIT_RETENTION_DAYS; read
 * newest first by id (keyset pages).
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: tstz().notNull().defaultNow(),
    keyId: text().notNull(),
    keyName: text().notNull(),
    tenantId: text(),
    action: text().notNull(),
    statusCode: integer().notNull(),
    requestId: text().notNull(),
    /** Free text the caller sent (pause/resume's `by` and `reason`): a note, not the identity. */
    note: text(),
  },
  (t) => [index('audit_log_tenant_id_idx').on(t.tenantId, t.id), index('audit_log_at_idx').on(t.at)],
);

/**
 * People erased on request (DELETE …/duo/users/{userId}/data): events of theirs up to `erasedAt` are
 * never stored again, though Duo keeps serving them for 180 days (a late-arrival sweep or a re-read
 * page would otherwise bring them back). Events after the erasure are new activity and stored.
 */
export const duoUserErasures = pgTable(
  'duo_user_erasures',
  {
    tenantId: text().notNull().references(() => tenants.id, { onDelete: 'cascade' }),
    userId: text().notNull(),
    erasedAt: tstz().notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId] })],
);
