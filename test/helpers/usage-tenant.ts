import { toAuthEventRecord } from '../../activities/duo-records.js';
import { storeAuthEvents, type AuthEventRecord } from '../../db/auth-events.js';
import { duoAuthLogSchema } from '../../duo/schemas.js';
import type { Queryable } from '../../db/client.js';
import { sweepRoster, upsertGroups, upsertUsers, type GroupRecord, type UserRecord } from '../../db/roster.js';
import { transition } from '../../integrations/transitions.js';

/**
 * Builders for usage-API fixtures. Rows are written by the sync's own functions (upsertUsers,
 * storeAuthEvents, …) in the tests, so rollups are maintained exactly as in production.
 */

export const DAY_MS = 86_400_000;

/** ISO instant `days` (fractions allowed) before `nowMs`. */
export function daysAgo(nowMs: number, days: number): string {
  return new Date(nowMs - days * DAY_MS).toISOString();
}

export function groupRecord(groupId: string, name: string): GroupRecord {
  return { groupId, name, description: null, status: 'Active', raw: { group_id: groupId, name } };
}

export function userRecord(userId: string, username: string, fields: Partial<UserRecord> = {}): UserRecord {
  return {
    userId,
    username,
    realname: null,
    email: `${username}@example.com`,
    status: 'active',
    isEnrolled: true,
    createdInDuoAt: '2020-01-01T00:00:00.000Z',
    lastLoginAt: null,
    aliases: [],
    groupIds: [],
    raw: { user_id: userId, username },
    ...fields,
  };
}

/** What a test may set on an event; the rest gets typical values. */
export interface AuthEventFields {
  result?: string | null;
  reason?: string | null;
  factor?: string | null;
  eventType?: string | null;
  applicationKey?: string | null;
  applicationName?: string | null;
}

/**
 * An authentication event as Duo sends it, mapped for storage by the sync's own mapper, so the
 * stored columns and the stored raw event agree as they do in production.
 */
export function authEvent(txid: string, occurredAt: string, userId: string | null, fields: AuthEventFields = {}): AuthEventRecord {
  const applicationKey = fields.applicationKey === undefined ? 'DIAPPVPN000000000000' : fields.applicationKey;
  const applicationName = fields.applicationName === undefined ? (applicationKey ? `App ${applicationKey.slice(6, 9)}` : null) : fields.applicationName;
  const ms = Date.parse(occurredAt);
  const event = {
    txid,
    timestamp: Math.floor(ms / 1000),
    isotimestamp: occurredAt,
    event_type: fields.eventType === undefined ? 'authentication' : fields.eventType,
    factor: fields.factor === undefined ? 'duo_push' : fields.factor,
    reason: fields.reason === undefined ? 'user_approved' : fields.reason,
    result: fields.result === undefined ? 'success' : fields.result,
    user: userId === null ? null : { key: userId, name: `${userId.toLowerCase()}-name`, groups: [] },
    application: applicationKey === null ? null : { key: applicationKey, name: applicationName },
    access_device: { ip: '192.0.2.10', location: { city: 'Ann Arbor', state: 'Michigan', country: 'US' } },
  };
  return toAuthEventRecord(duoAuthLogSchema.parse(event));
}

export interface ConnectOptions {
  anchorAt: Date;
  backfillStartAt: Date;
  /** Mark the initial sync completed (default true). */
  completed?: boolean;
}

/** The tenants and duo_integrations rows a connected tenant has (keys are placeholders, never opened). */
export async function connectUsageTenant(db: Queryable, tenantId: string, options: ConnectOptions): Promise<void> {
  await transition.connect(db, {
    tenantId,
    apiHost: 'api-test.duosecurity.com',
    integrationKey: 'DITESTTESTTESTTESTTE',
    secretKeySealed: 'v1.test.unused',
    encryptionKeyId: 'test',
    anchorAt: options.anchorAt,
    backfillStartAt: options.backfillStartAt,
    initialSyncWorkflowId: `usage-test-${tenantId}`,
  });
  if (options.completed ?? true) await transition.completeInitialSync(db, tenantId);
}

/**
 * One small tenant covering the usage API's edge cases, seeded relative to `nowMs` with at least a
 * day of margin around every 30/60/90-day edge (whole-day rollups round windows out to UTC days).
 *
 * In Duo's user list: alice (active, Engineering; events 2, 5 and 40 days ago), bob (active,
 * Engineering + Sales, only an old last_login), carol (active, Sales, last_login 10 days ago and no
 * events), dave (disabled, Engineering, a success 3 days ago), erin (locked out, Ops, only a denied
 * event), grace (active, no group, created 10 days ago, never logged in, not enrolled), heidi
 * (active, Sales, last_login 200 days ago), ivan (bypass, Ops, success 70 days ago), judy (pending
 * deletion, last_login 45 days ago). frank (Engineering, success 1 day ago) disappears at the
 * roster refresh; DUGHOST is known only from an event; Ops is renamed Operations at the refresh.
 */
export async function seedUsageScenario(db: Queryable, tenantId: string, nowMs: number): Promise<void> {
  const ago = (days: number) => daysAgo(nowMs, days);
  await connectUsageTenant(db, tenantId, { anchorAt: new Date(nowMs - 3_600_000), backfillStartAt: new Date(nowMs - 179 * DAY_MS) });
  const firstScanAt = new Date(nowMs - 2 * 3_600_000);
  const groups = [groupRecord('DGENG', 'Engineering'), groupRecord('DGSALES', 'Sales'), groupRecord('DGOPS', 'Ops')];
  const old = ago(400);
  const users = [
    userRecord('DUALICE', 'alice', { realname: 'Alice Archer', createdInDuoAt: old, lastLoginAt: ago(6), groupIds: ['DGENG'] }),
    userRecord('DUBOB', 'bob', { realname: 'Bob Baker', createdInDuoAt: old, lastLoginAt: ago(100), groupIds: ['DGENG', 'DGSALES'] }),
    userRecord('DUCAROL', 'carol', { realname: 'Carol Cruz', createdInDuoAt: old, lastLoginAt: ago(10), groupIds: ['DGSALES'] }),
    userRecord('DUDAVE', 'dave', { status: 'disabled', createdInDuoAt: old, groupIds: ['DGENG'] }),
    userRecord('DUERIN', 'erin', { status: 'locked out', createdInDuoAt: old, groupIds: ['DGOPS'] }),
    userRecord('DUFRANK', 'frank', { createdInDuoAt: old, groupIds: ['DGENG'] }),
    userRecord('DUGRACE', 'grace', { createdInDuoAt: ago(10), isEnrolled: false }),
    userRecord('DUHEIDI', 'heidi', { createdInDuoAt: old, lastLoginAt: ago(200), groupIds: ['DGSALES'] }),
    userRecord('DUIVAN', 'ivan', { status: 'bypass', createdInDuoAt: old, groupIds: ['DGOPS'] }),
    userRecord('DUJUDY', 'judy', { status: 'pending deletion', createdInDuoAt: old, lastLoginAt: ago(45) }),
  ];
  await upsertGroups(db, tenantId, groups, firstScanAt);
  await upsertUsers(db, tenantId, users, firstScanAt);
  const vpn = 'DIVPN000000000000000';
  const wiki = 'DIWIKI00000000000000';
  await storeAuthEvents(db, tenantId, [
    authEvent('a-1', ago(2), 'DUALICE', { applicationKey: vpn, result: 'denied', reason: 'no_response' }),
    authEvent('a-2', ago(5), 'DUALICE', { applicationKey: vpn }),
    authEvent('a-3', ago(40), 'DUALICE', { applicationKey: wiki }),
    authEvent('d-1', ago(3), 'DUDAVE', { applicationKey: vpn }),
    authEvent('e-1', ago(2), 'DUERIN', { applicationKey: vpn, result: 'denied', reason: 'locked_out' }),
    authEvent('f-1', ago(1), 'DUFRANK', { applicationKey: vpn }),
    authEvent('i-1', ago(70), 'DUIVAN', { applicationKey: wiki }),
    authEvent('g-1', ago(1), 'DUGHOST', { applicationKey: vpn }),
  ]);
  // Roster refresh: frank is gone from Duo, Ops is now called Operations.
  const refreshAt = new Date(nowMs - 3_600_000);
  await upsertGroups(db, tenantId, [groups[0], groups[1], groupRecord('DGOPS', 'Operations')].flatMap((g) => (g ? [g] : [])), refreshAt);
  await upsertUsers(db, tenantId, users.filter((u) => u.userId !== 'DUFRANK'), refreshAt);
  await sweepRoster(db, tenantId, refreshAt);
}

/** Another tenant reusing the same user and group ids with different data: none of it may leak. */
export async function seedOtherTenant(db: Queryable, tenantId: string, nowMs: number): Promise<void> {
  await connectUsageTenant(db, tenantId, { anchorAt: new Date(nowMs - 3_600_000), backfillStartAt: new Date(nowMs - 179 * DAY_MS) });
  const seenAt = new Date(nowMs - 3_600_000);
  await upsertGroups(db, tenantId, [groupRecord('DGENG', 'Engineering'), groupRecord('DGOTHER', 'Other only')], seenAt);
  await upsertUsers(
    db,
    tenantId,
    [
      userRecord('DUALICE', 'alice-other', { status: 'disabled', groupIds: ['DGENG'] }),
      userRecord('DUZED', 'zed-other', { groupIds: ['DGENG', 'DGOTHER'], lastLoginAt: daysAgo(nowMs, 1) }),
    ],
    seenAt,
  );
  await storeAuthEvents(
    db,
    tenantId,
    Array.from({ length: 5 }, (_, i) => authEvent(`other-${i}`, daysAgo(nowMs, 1 + i), 'DUALICE', { applicationKey: 'DIOTHERAPP0000000000' })),
  );
}
