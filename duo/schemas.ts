import { z } from 'zod';

/*
 * Zod schemas for what Duo returns. Every object is loose (unknown fields pass through) and no
 * schema transforms a value, so a parsed item is the raw JSON object, fit to store as-is. Only the
 * fields the sync relies on are required; everything else tolerates absence and null, because Duo
 * documents null for many fields and adds fields and enumeration values without notice.
 */

const optionalString = z.string().nullish();
const optionalNumber = z.number().nullish();
const optionalBoolean = z.boolean().nullish();

/** `{stat:"OK", response, metadata?}`. */
export const okEnvelopeSchema = z.looseObject({
  stat: z.literal('OK'),
  response: z.unknown(),
  metadata: z.unknown().optional(),
});

/** `{stat:"FAIL", code, message, message_detail?}`; `code` may be a string in some answers. */
export const failEnvelopeSchema = z.looseObject({
  stat: z.literal('FAIL'),
  code: z.union([z.number(), z.string()]).nullish(),
  message: optionalString,
  message_detail: optionalString,
});

/** Either envelope, told apart by `stat`. */
export const envelopeSchema = z.discriminatedUnion('stat', [okEnvelopeSchema, failEnvelopeSchema]);

/** A user's group as embedded in a user. */
export const duoUserGroupSchema = z.looseObject({
  group_id: optionalString,
  name: optionalString,
  desc: optionalString,
  status: optionalString,
});

/** A user from `GET /admin/v1/users`. `status` stays a string: Duo may add values. */
export const duoUserSchema = z.looseObject({
  user_id: z.string(),
  username: z.string(),
  realname: optionalString,
  firstname: optionalString,
  lastname: optionalString,
  email: optionalString,
  alias1: optionalString,
  alias2: optionalString,
  alias3: optionalString,
  alias4: optionalString,
  aliases: z.record(z.string(), z.string().nullable()).nullish(),
  status: z.string(),
  created: optionalNumber,
  last_login: optionalNumber,
  last_directory_sync: optionalNumber,
  is_enrolled: optionalBoolean,
  notes: optionalString,
  external_id: optionalString,
  lockout_reason: optionalString,
  groups: z.array(duoUserGroupSchema).nullish(),
  phones: z.array(z.looseObject({})).nullish(),
  tokens: z.array(z.looseObject({})).nullish(),
  u2ftokens: z.array(z.looseObject({})).nullish(),
  webauthncredentials: z.array(z.looseObject({})).nullish(),
});
/** A Duo user, unknown fields included. */
export type DuoUser = z.infer<typeof duoUserSchema>;

/** A group from `GET /admin/v1/groups`. Status is capitalised there (`Active`), unlike users. */
export const duoGroupSchema = z.looseObject({
  group_id: z.string(),
  name: z.string(),
  desc: optionalString,
  status: optionalString,
  mobile_otp_enabled: optionalBoolean,
  push_enabled: optionalBoolean,
  sms_enabled: optionalBoolean,
  voice_enabled: optionalBoolean,
});
/** A Duo group, unknown fields included. */
export type DuoGroup = z.infer<typeof duoGroupSchema>;

const keyNameSchema = z.looseObject({ key: optionalString, name: optionalString });

/** An event from `GET /admin/v2/logs/authentication`. `timestamp` is in seconds. */
export const duoAuthLogSchema = z.looseObject({
  txid: z.string(),
  timestamp: z.number(),
  isotimestamp: optionalString,
  event_type: optionalString,
  factor: optionalString,
  reason: optionalString,
  result: optionalString,
  email: optionalString,
  alias: optionalString,
  user: z.looseObject({ key: optionalString, name: optionalString, groups: z.array(z.string()).nullish() }).nullish(),
  application: keyNameSchema.nullish(),
  // Seen as objects, but with odd values ("unknown", ports in IPs): kept loose.
  access_device: z.looseObject({}).nullish(),
  auth_device: z.looseObject({}).nullish(),
});
/** A v2 authentication log event, unknown fields included. */
export type DuoAuthLog = z.infer<typeof duoAuthLogSchema>;

/** An item from `GET /admin/v2/logs/activity`. `action` is an object in practice, a string in older docs. */
export const duoActivityLogSchema = z.looseObject({
  activity_id: z.string(),
  ts: z.string(),
  action: z.unknown().optional(),
  actor: z.unknown().optional(),
  target: z.unknown().optional(),
  outcome: z.unknown().optional(),
  application: z.unknown().optional(),
  access_device: z.unknown().optional(),
});
/** A v2 activity log item, unknown fields included. */
export type DuoActivityLog = z.infer<typeof duoActivityLogSchema>;

/** An item from `GET /admin/v2/logs/telephony`. */
export const duoTelephonyLogSchema = z.looseObject({
  telephony_id: z.string(),
  ts: z.string(),
  txid: optionalString,
  context: optionalString,
  credits: optionalNumber,
  phone: optionalString,
  type: optionalString,
});
/** A v2 telephony log item, unknown fields included. */
export type DuoTelephonyLog = z.infer<typeof duoTelephonyLogSchema>;

/** A row from `GET /admin/v1/logs/administrator`: no id; `timestamp` in seconds; `description` is JSON text. */
export const duoAdminLogSchema = z.looseObject({
  action: z.string(),
  timestamp: z.number(),
  isotimestamp: optionalString,
  username: optionalString,
  object: optionalString,
  description: optionalString,
});
/** A v1 administrator log row, unknown fields included. */
export type DuoAdminLog = z.infer<typeof duoAdminLogSchema>;

/**
 * `response` of `GET /admin/v1/info/summary` ("Grant read information"): the account's seat figures.
 * The counts a licence review starts from are required; the rest Duo may omit.
 */
export const duoAccountSummarySchema = z.looseObject({
  user_count: z.number().int().nonnegative(),
  admin_count: z.number().int().nonnegative(),
  integration_count: z.number().int().nonnegative(),
  user_pending_deletion_count: z.number().int().nonnegative().nullish(),
  telephony_credits_remaining: optionalNumber,
});
/** The account summary, unknown fields included. */
export type DuoAccountSummary = z.infer<typeof duoAccountSummarySchema>;

/**
 * An application from `GET /admin/v3/integrations` ("Grant applications"). Duo lists each one with
 * its secret key: the client removes every secret before an item leaves it (see the client).
 */
export const duoApplicationSchema = z.looseObject({
  integration_key: z.string(),
  name: z.string(),
  type: optionalString,
  notes: optionalString,
});
/** A protected application, unknown fields included, secrets removed. */
export type DuoApplication = z.infer<typeof duoApplicationSchema>;

// Offsets are integers; tolerate a numeric string.
const offsetSchema = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).nullish();

/** Top-level paging metadata of object lists (users, groups). */
export const offsetMetadataSchema = z.looseObject({
  next_offset: offsetSchema,
  prev_offset: offsetSchema,
  total_objects: z.unknown().optional(),
});

/**
 * `response` of the v2 authentication log: cursor `[ts_ms, txid]` inside `response.metadata`. The
 * metadata object itself is required: an answer without it cannot say whether more pages follow, and
 * reading it as "last page" would silently skip the rest of the window.
 */
export const authLogResponseSchema = z.looseObject({
  authlogs: z.array(duoAuthLogSchema),
  metadata: z
    .looseObject({
      // An array by the docs; a comma-joined string is tolerated as the other v2 logs use it.
      next_offset: z.union([z.tuple([z.union([z.string(), z.number()]), z.string()]), z.string()]).nullish(),
      total_objects: z.unknown().optional(),
    }),
});

/** `response` of v2 activity and telephony logs: `items` and a string cursor `"ts_ms,id"`. */
export function itemsLogResponseSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({
    items: z.array(item),
    metadata: z
      .looseObject({
        next_offset: z.string().nullish(),
        total_objects: z.unknown().optional(),
      }),
  });
}

/** Array responses: users, groups, administrator logs. */
export const arrayResponseSchema = z.array(z.unknown());
