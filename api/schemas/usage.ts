import { z } from 'zod';
import type { EventKeyset } from '../../db/usage-events.js';
import { userSortFields, type UserKeyset } from '../../db/usage-users.js';
import { tenantIdSchema } from './integration.js';

/**
 * The HTTP contract of the usage API: query parameters (each message names its parameter, so a 400
 * says which one is wrong), the opaque keyset cursors, and every response document. The OpenAPI
 * document is generated from these.
 */

/** Duo's user statuses; the filter also accepts them with underscores (`locked_out`). */
export const duoUserStatuses = ['active', 'bypass', 'disabled', 'locked out', 'pending deletion'] as const;

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_THRESHOLDS = [30, 60, 90];
export const DEFAULT_GRACE_DAYS = 60;
/** Far enough back for Duo's `last_login`, which predates the 180 days of logs Duo keeps. */
const MAX_DAYS = 3650;

// A NUL cannot be sent to Postgres in a text parameter; refusing it here keeps it a 400, not a 500.
const text = (name: string, max: number) =>
  z
    .string()
    .max(max, `${name} must be at most ${max} characters`)
    .regex(/^[^\u0000]*$/, `${name} must not contain NUL characters`);

/** A whole number in a query string; repeated or non-numeric values get the parameter's own message. */
const wholeNumber = (name: string, message: string, min: number, max: number) =>
  z
    .string({ error: message })
    .transform(Number)
    .pipe(z.number({ error: message }).int(message).min(min, message).max(max, `${name} must be at most ${max}`));

const dayCount = (name: string, max = MAX_DAYS) => wholeNumber(name, `${name} must be a whole number of days from 1 to ${max}`, 1, max);

const flag = (name: string) => z.stringbool({ error: `${name} must be true or false` });

/** A parameter given once or repeated (`?status=active&status=bypass`), always an array after parsing. */
function repeatable<T extends z.ZodType<unknown, string>>(name: string, item: T, max = 50) {
  return z
    .union([z.string(), z.array(z.string())], { error: `${name} must be a string, repeated for several values` })
    .transform((value) => (Array.isArray(value) ? value : [value]))
    .pipe(z.array(item).max(max, `${name} takes at most ${max} values`));
}

const statusItem = z
  .string()
  .transform((s) => s.trim().toLowerCase().replaceAll('_', ' '))
  .pipe(z.enum(duoUserStatuses, { error: `status must be one of: ${duoUserStatuses.join(', ')}` }));

const groupItem = text('group', 200).min(1, 'group must not be empty');

// --- cursors: base64url JSON, opaque to clients, checked field by field on the way back in ---

const INSTANT_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
// Instants Postgres stores without complaint (it has no year 0 and refuses UTC offsets past ±15:59):
// anything outside goes back as a 400, never reaches SQL as a 500.
const EARLIEST_MS = Date.UTC(1000, 0, 1);
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const storableInstant = (value: string) => {
  const ms = Date.parse(value);
  const offsetHours = /([+-])(\d{2}):?\d{2}$/.exec(value)?.[2];
  return !Number.isNaN(ms) && ms >= EARLIEST_MS && ms <= LATEST_MS && (offsetHours === undefined || Number(offsetHours) <= 15);
};
const isInstant = (value: string) => INSTANT_MICROS.test(value) && storableInstant(value);
const cursorText = z.string().min(1).max(400).regex(/^[^\u0000]*$/);

export const userSortValues = userSortFields.flatMap((field) => [`${field}.asc`, `${field}.desc`] as const);

const userCursorPayload = z.strictObject({
  v: z.literal(1),
  s: z.enum(userSortValues),
  k: cursorText,
  id: cursorText,
});

const eventCursorPayload = z.strictObject({ v: z.literal(1), t: z.string().refine(isInstant), id: cursorText });

export interface UserCursor extends UserKeyset {
  /** `<field>.<order>` of the listing the cursor came from. */
  sort: string;
}

function encode(payload: unknown): string {
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

function decode<T>(token: string, schema: z.ZodType<T>): T | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // not JSON: the same answer as any other foreign token
  }
}

export function encodeUserCursor(sort: string, keyset: UserKeyset): string {
  return encode({ v: 1, s: sort, k: keyset.key, id: keyset.userId });
}

export function decodeUserCursor(token: string): UserCursor | undefined {
  const payload = decode(token, userCursorPayload);
  if (!payload) return undefined;
  // An activity key goes to Postgres as a timestamptz: anything else would be a 500, not a 400.
  if (payload.s.startsWith('lastActivityAt') && payload.k !== '-infinity' && !isInstant(payload.k)) return undefined;
  return { sort: payload.s, key: payload.k, userId: payload.id };
}

export function encodeEventCursor(keyset: EventKeyset): string {
  return encode({ v: 1, t: keyset.occurredAt, id: keyset.txid });
}

export function decodeEventCursor(token: string): EventKeyset | undefined {
  const payload = decode(token, eventCursorPayload);
  return payload && { occurredAt: payload.t, txid: payload.id };
}

const cursorParam = <T>(decodeToken: (token: string) => T | undefined) =>
  z
    .string()
    .max(1024, 'cursor is too long')
    .transform((token, ctx) => {
      const decoded = decodeToken(token);
      if (decoded === undefined) {
        ctx.issues.push({ code: 'custom', input: token, message: 'cursor is not one this API returned: pass nextCursor unchanged' });
        return z.NEVER;
      }
      return decoded;
    });

const limitParam = wholeNumber('limit', `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`, 1, MAX_PAGE_SIZE);

// --- requests ---

export const userIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'userId must be 1 to 64 letters, digits, "_" or "-"')
  .meta({ description: 'Duo user id', example: 'DU3RP9I2WOC59VZX672N' });

export const userParamsSchema = z.object({ tenantId: tenantIdSchema, userId: userIdSchema });

export const usersQuerySchema = z
  .strictObject({
    status: repeatable('status', statusItem, 5)
      .optional()
      .meta({ description: `Duo status; repeat for several (any of them matches): ${duoUserStatuses.join(', ')}` }),
    group: repeatable('group', groupItem)
      .optional()
      .meta({ description: 'Group id (DG…) or name, names case-insensitive; repeat for several (member of any matches)' }),
    inactiveForDays: dayCount('inactiveForDays').optional().meta({
      description: "No activity in this many days: no successful authentication we hold and no Duo last_login since now − N days (never-active users included)",
    }),
    activeWithinDays: dayCount('activeWithinDays')
      .optional()
      .meta({ description: 'Activity (successful authentication or Duo last_login) at or after now − N days' }),
    enrolled: flag('enrolled').optional().meta({ description: 'Only users enrolled in Duo (true) or not enrolled (false)' }),
    search: text('search', 100).optional().meta({ description: 'Case-insensitive prefix of the username, real name or email' }),
    createdMoreThanDaysAgo: dayCount('createdMoreThanDaysAgo')
      .optional()
      .meta({ description: 'Only users created in Duo before now − N days (a licence-reclaim grace period)' }),
    includeDeleted: flag('includeDeleted')
      .optional()
      .meta({ description: 'Also list users Duo no longer lists (deletedAt set). Default false' }),
    includeEventOnly: flag('includeEventOnly').optional().meta({
      description: "Also list users known only from authentication events, not (yet) in Duo's user list (inRoster false, status unknown). Default false",
    }),
    sort: z
      .enum(userSortFields, { error: `sort must be one of: ${userSortFields.join(', ')}` })
      .optional()
      .meta({ description: 'Sort key, ties broken by userId. lastActivityAt puts never-active users first (asc) or last (desc). Default username' }),
    order: z.enum(['asc', 'desc'], { error: 'order must be asc or desc' }).optional().meta({ description: 'Default asc' }),
    limit: limitParam.optional().meta({
      description: `Page size, at most ${MAX_PAGE_SIZE}. JSON default ${DEFAULT_PAGE_SIZE}; CSV streams every matching row unless limit is given`,
    }),
    cursor: cursorParam(decodeUserCursor).optional().meta({ description: 'nextCursor of the previous page, unchanged (same filters and sort)' }),
  })
  .superRefine((query, ctx) => {
    const sort = `${query.sort ?? 'username'}.${query.order ?? 'asc'}`;
    if (query.cursor && query.cursor.sort !== sort) {
      ctx.addIssue({ code: 'custom', path: ['cursor'], message: `cursor belongs to a listing sorted by ${query.cursor.sort}, not ${sort}` });
    }
    if (query.inactiveForDays !== undefined && query.activeWithinDays !== undefined && query.activeWithinDays > query.inactiveForDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['activeWithinDays'],
        message: 'activeWithinDays larger than inactiveForDays matches no user',
      });
    }
  });

export type UsersQuery = z.infer<typeof usersQuerySchema>;

const thresholdsParam = z
  .union([z.string(), z.array(z.string())], { error: 'thresholds must be comma-separated days, e.g. 30,60,90' })
  .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((part) => part.split(',')))
  .pipe(z.array(dayCount('thresholds', 365)).min(1).max(10, 'thresholds takes at most 10 values'))
  .transform((days) => [...new Set(days)].sort((a, b) => a - b));

export const usageQuerySchema = z.strictObject({
  group: repeatable('group', groupItem)
    .optional()
    .meta({ description: 'Count only members of these groups (id or name; repeat for several). byGroup is not filtered' }),
  status: repeatable('status', statusItem, 5)
    .optional()
    .meta({ description: `Count only users with these statuses (repeat for several): ${duoUserStatuses.join(', ')}. byGroup is not filtered` }),
  thresholds: thresholdsParam
    .optional()
    .meta({ description: 'Inactivity thresholds in days, comma-separated or repeated, each 1 to 365. Default 30,60,90' }),
  graceDays: dayCount('graceDays')
    .optional()
    .meta({ description: `Reclaim candidates must have been created in Duo more than this many days ago. Default ${DEFAULT_GRACE_DAYS}` }),
});

export const applicationsQuerySchema = z.strictObject({
  group: repeatable('group', groupItem)
    .optional()
    .meta({ description: "Count only members of these groups (id or name; repeat for several). Default: every user's authentications" }),
});

export const groupsQuerySchema = z.strictObject({
  includeDeleted: flag('includeDeleted').optional().meta({ description: 'Also list groups Duo no longer lists. Default false' }),
});

const instantParam = (name: string) =>
  z.iso
    .datetime({ offset: true, error: `${name} must be an ISO 8601 date-time, e.g. 2026-01-31T00:00:00Z` })
    .refine(storableInstant, `${name} must be between the years 1000 and 9999 with a UTC offset of at most ±15:59`);

export const eventsQuerySchema = z
  .strictObject({
    from: instantParam('from').optional().meta({ description: 'Only events at or after this instant' }),
    to: instantParam('to').optional().meta({ description: 'Only events before this instant' }),
    limit: limitParam.optional().meta({ description: `Page size, at most ${MAX_PAGE_SIZE}. Default ${DEFAULT_PAGE_SIZE}` }),
    cursor: cursorParam(decodeEventCursor).optional().meta({ description: 'nextCursor of the previous page, unchanged' }),
    include: z
      .enum(['raw'], { error: 'include must be raw' })
      .optional()
      .meta({ description: "raw: each event also carries Duo's event exactly as Duo sent it" }),
  })
  .superRefine((query, ctx) => {
    if (query.from !== undefined && query.to !== undefined && Date.parse(query.to) <= Date.parse(query.from)) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must be later than from' });
    }
  });

export const optionalStreams = ['telephony', 'activity', 'administrator'] as const;

export const streamParamsSchema = z.object({
  tenantId: tenantIdSchema,
  stream: z.enum(optionalStreams, { error: `stream must be one of ${optionalStreams.join(', ')}` }),
});

export const streamEventsQuerySchema = z
  .strictObject({
    from: instantParam('from').optional().meta({ description: 'Only events at or after this instant' }),
    to: instantParam('to').optional().meta({ description: 'Only events before this instant' }),
    limit: limitParam.optional().meta({ description: `Page size, at most ${MAX_PAGE_SIZE}. Default ${DEFAULT_PAGE_SIZE}` }),
    cursor: cursorParam(decodeEventCursor).optional().meta({ description: 'nextCursor of the previous page, unchanged' }),
  })
  .superRefine((query, ctx) => {
    if (query.from !== undefined && query.to !== undefined && Date.parse(query.to) <= Date.parse(query.from)) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must be later than from' });
    }
  });

// --- responses ---

const instant = z.iso.datetime();
const nullableInstant = instant.nullable();
const count = z.int().nonnegative();
const windows = (what: string) =>
  z
    .object({
      d30: count.meta({ description: `${what} in the last 30 days` }),
      d60: count.meta({ description: `${what} in the last 60 days` }),
      d90: count.meta({ description: `${what} in the last 90 days` }),
    })
    .meta({ description: `${what}; periods cover whole UTC days from the day of now − N days through today` });

export const userUsageSchema = z
  .object({
    userId: z.string().meta({ description: 'Duo user id' }),
    username: z.string(),
    realname: z.string().nullable(),
    email: z.string().nullable(),
    status: z.string().meta({ description: "Duo status (active, bypass, disabled, locked out, pending deletion); 'unknown' for users known only from events" }),
    groups: z
      .array(z.object({ groupId: z.string(), name: z.string().meta({ description: 'Current name (after any rename)' }) }))
      .meta({ description: 'Groups the user is a member of, by name' }),
    enrolled: z.boolean(),
    inRoster: z.boolean().meta({ description: "False for users known only from authentication events, not (yet) in Duo's user list" }),
    createdAt: nullableInstant.meta({ description: 'Created in Duo' }),
    lastLogin: nullableInstant.meta({ description: "Duo's last_login" }),
    lastActivityAt: nullableInstant.meta({ description: 'Newest successful authentication we hold, or lastLogin when that is newer' }),
    authCounts: windows('Authentication attempts (any result)'),
    applications30d: count.meta({ description: 'Distinct applications authenticated to in the last 30 days' }),
    deletedAt: nullableInstant.meta({ description: 'When the roster sync found the user gone from Duo; null while Duo lists them' }),
  })
  .meta({ id: 'DuoUserUsage' });

export const userListSchema = z
  .object({
    users: z.array(userUsageSchema),
    total: count.meta({ description: 'Users matching the filters, over every page' }),
    nextCursor: z.string().nullable().meta({ description: 'Pass as cursor for the next page; null on the last page' }),
  })
  .meta({ id: 'DuoUserUsageList' });

export const usersCsvSchema = z.string().meta({
  description: 'The same rows as CSV (RFC 4180, header row first), streamed. Cells starting with = + - @ are prefixed with \' so spreadsheets do not run them',
});

export const freshnessSchema = z
  .object({
    newestEventAt: nullableInstant.meta({ description: 'Newest authentication event stored' }),
    oldestEventAt: nullableInstant.meta({ description: 'Oldest authentication event stored' }),
    initialSync: z.string().meta({ description: 'running, completed or failed' }),
    anchorAt: instant.meta({ description: 'The initial backfill covers logs before this instant; incremental syncs what follows' }),
    backfillStartAt: instant.meta({ description: 'Oldest instant the initial backfill fetches' }),
    thresholds: z
      .array(z.object({ days: count, complete: z.boolean().meta({ description: 'Every log of the last `days` days up to anchorAt is stored' }) }))
      .meta({ description: 'Per threshold: whether the backfill reached back far enough' }),
    partial: z.boolean().meta({ description: 'True while any threshold is incomplete: activity is undercounted' }),
  })
  .meta({ id: 'DuoUsageFreshness' });

export const usageSchema = z
  .object({
    users: count.meta({ description: "Users in Duo's user list (deleted users and users known only from events are not counted)" }),
    byStatus: z.record(z.string(), count).meta({ description: 'Users per Duo status' }),
    byGroup: z
      .array(
        z.object({
          groupId: z.string(),
          name: z.string(),
          members: count,
          active30d: count.meta({ description: 'Members with activity in the last 30 days' }),
        }),
      )
      .meta({ description: 'Per current group' }),
    thresholds: z
      .array(
        z.object({
          days: count,
          active: count.meta({ description: 'Users with activity within the threshold' }),
          inactive: count.meta({ description: 'Users without (never-active users included)' }),
        }),
      )
      .meta({ description: 'Per threshold, by lastActivityAt' }),
    reclaimCandidates: z
      .object({
        count,
        inactiveDays: count.meta({ description: 'The largest threshold' }),
        graceDays: count,
        usersQuery: z.string().meta({ description: 'Query string for GET …/duo/users that lists them' }),
      })
      .meta({ description: 'Status active, no activity within the largest threshold, created in Duo more than graceDays ago' }),
    seats: z
      .object({
        duoUserCount: count.meta({ description: "Duo's own count of users in the account (its summary): the figure a licence review starts from" }),
        usersPendingDeletion: count.nullable().meta({ description: 'Users Duo will delete (still counted by Duo until then); null when Duo did not say' }),
        adminCount: count,
        fetchedAt: instant.meta({ description: 'When the summary was read (each roster refresh)' }),
      })
      .nullable()
      .meta({ description: 'From Duo\'s account summary; null without "Grant read information" on the Admin API application' }),
    freshness: freshnessSchema,
  })
  .meta({ id: 'DuoUsage' });

export const applicationUsageSchema = z
  .object({
    applicationKey: z.string().meta({ description: 'Duo integration key of the application (DI…)' }),
    name: z.string().nullable().meta({ description: 'Name in the newest event' }),
    activeUsers: windows('Distinct users with a successful authentication'),
    authentications: windows('Authentication attempts'),
    successes: windows('Successful authentications'),
    denied: windows('Denied authentications'),
    fraud: windows('Authentications the user marked as fraud'),
    lastUsedAt: nullableInstant.meta({ description: 'Newest authentication to the application by anyone' }),
  })
  .meta({ id: 'DuoApplicationUsage' });

export const applicationListSchema = z
  .object({
    applications: z.array(applicationUsageSchema).meta({ description: 'Most active users (90 days) first' }),
    groups: z
      .object({
        groupIds: z.array(z.string()).meta({ description: 'Groups the group parameter matched' }),
        members: count.meta({ description: 'Current users in any of them' }),
      })
      .optional()
      .meta({ description: 'Present with a group filter: counts above are about these members only' }),
    unused: z
      .object({
        fetchedAt: instant.meta({ description: "When Duo's applications list was last read in full (each roster refresh)" }),
        total: count.meta({ description: 'Protected applications in the account' }),
        days: count.meta({ description: 'The window: no authentication by anyone within it' }),
        applications: z.array(
          z.object({
            applicationKey: z.string(),
            name: z.string().meta({ description: "Name in Duo's applications list" }),
            type: z.string().nullable().meta({ description: "Duo's application type, e.g. sso-generic" }),
            lastUsedAt: nullableInstant.meta({ description: 'Newest authentication ever stored; null: never seen in the logs' }),
          }),
        ),
      })
      .nullable()
      .meta({ description: 'Protected applications with zero use in 90 days, which the logs alone cannot show; null without "Grant applications"' }),
    freshness: freshnessSchema,
  })
  .meta({ id: 'DuoApplicationUsageList' });

export const groupUsageSchema = z
  .object({
    groupId: z.string(),
    name: z.string().meta({ description: 'Current name' }),
    description: z.string().nullable(),
    status: z.string().nullable().meta({ description: "Duo's group status (Active, Bypass, Disabled)" }),
    deletedAt: nullableInstant,
    members: count.meta({ description: "Members in Duo's user list (not deleted)" }),
    membersByStatus: z.record(z.string(), count).meta({ description: 'Members per user status' }),
    activeMembers: windows('Members with activity'),
  })
  .meta({ id: 'DuoGroupUsage' });

export const groupListSchema = z
  .object({ groups: z.array(groupUsageSchema).meta({ description: 'By name' }), freshness: freshnessSchema })
  .meta({ id: 'DuoGroupUsageList' });

export const userEventSchema = z
  .object({
    txid: z.string().meta({ description: "Duo's transaction id" }),
    occurredAt: instant.meta({ description: 'With microseconds, as Duo reports it' }),
    result: z.string().nullable().meta({ description: 'success, denied, fraud, …' }),
    reason: z.string().nullable(),
    factor: z.string().nullable(),
    eventType: z.string().nullable(),
    application: z.object({ key: z.string().nullable(), name: z.string().nullable() }),
    access: z.object({
      ip: z.string().nullable(),
      city: z.string().nullable(),
      state: z.string().nullable(),
      country: z.string().nullable(),
    }),
    raw: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: "Duo's event exactly as Duo sent it, every field included; only with include=raw" }),
  })
  .meta({ id: 'DuoAuthEvent' });

export const userEventListSchema = z
  .object({
    userId: z.string(),
    events: z.array(userEventSchema).meta({ description: 'Newest first' }),
    nextCursor: z.string().nullable().meta({ description: 'Pass as cursor for the next (older) page; null on the last page' }),
  })
  .meta({ id: 'DuoAuthEventList' });

export const streamEventListSchema = z
  .object({
    stream: z.enum(optionalStreams),
    events: z
      .array(
        z.object({
          id: z.string().meta({ description: "Duo's telephony_id or activity_id; for administrator rows (Duo gives them no id) a SHA-256 of the row" }),
          occurredAt: z.string().meta({ description: 'ISO 8601, microseconds' }),
          event: z.record(z.string(), z.unknown()).meta({ description: "Duo's event exactly as Duo sent it" }),
        }),
      )
      .meta({ description: 'Newest first' }),
    nextCursor: z.string().nullable().meta({ description: 'Pass as cursor for the next (older) page; null on the last page' }),
  })
  .meta({ id: 'DuoStreamEventList' });
