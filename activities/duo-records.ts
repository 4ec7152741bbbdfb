import { authEventFields } from '../db/auth-event-fields.js';
import type { AuthEventRecord } from '../db/auth-events.js';
import type { GroupRecord, UserRecord } from '../db/roster.js';
import type { DuoAuthLog, DuoGroup, DuoUser } from '../duo/schemas.js';

/** Duo object -> storage record mappings: the only place that knows both shapes. */

const secondsToIso = (seconds: number | null | undefined) =>
  typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : null;

export function toGroupRecord(group: DuoGroup): GroupRecord {
  return { groupId: group.group_id, name: group.name, description: group.desc ?? null, status: group.status ?? null, raw: group };
}

export function toUserRecord(user: DuoUser): UserRecord {
  const aliases = new Set<string>();
  for (const alias of [user.alias1, user.alias2, user.alias3, user.alias4, ...Object.values(user.aliases ?? {})]) {
    if (alias) aliases.add(alias);
  }
  return {
    userId: user.user_id,
    username: user.username,
    realname: user.realname ?? null,
    email: user.email ?? null,
    status: user.status,
    isEnrolled: user.is_enrolled ?? false,
    createdInDuoAt: secondsToIso(user.created),
    lastLoginAt: secondsToIso(user.last_login),
    aliases: [...aliases],
    groupIds: (user.groups ?? []).flatMap((g) => (g.group_id ? [g.group_id] : [])),
    // Phones and tokens carry phone numbers and serials the usage product never needs: not stored.
    raw: { ...user, phones: undefined, tokens: undefined, u2ftokens: undefined, webauthncredentials: undefined },
  };
}

/** Duo's `isotimestamp` keeps microseconds; `timestamp` is whole seconds. */
export function eventInstant(event: { isotimestamp?: string | null; timestamp: number }): string {
  if (event.isotimestamp && !Number.isNaN(Date.parse(event.isotimestamp))) return event.isotimestamp;
  return new Date(event.timestamp * 1000).toISOString();
}

export function toAuthEventRecord(event: DuoAuthLog): AuthEventRecord {
  const fields = authEventFields(event);
  return {
    txid: event.txid,
    occurredAt: eventInstant(event),
    userId: fields.userId,
    username: fields.username,
    result: fields.result,
    applicationKey: fields.applicationKey,
    applicationName: fields.applicationName,
    raw: event,
  };
}
