import type { Dataset, LogKind } from '../dataset.js';
import { buildActivityEvent } from '../events/activity.js';
import { buildAuthEvent } from '../events/auth.js';
import { buildTelephonyEvent } from '../events/telephony.js';
import { breakRequiredField, driftItems, type FaultType } from '../faults.js';
import { countEvents, logView, walkVisible } from '../log-view.js';
import type { EventCursor, EventKey } from '../timeline.js';
import type { HandlerContext, HandlerResult } from './context.js';
import { isFailure, parseLogWindow } from './log-window.js';

interface V2LogShape {
  listField: string;
  kind: Exclude<LogKind, 'admin'>;
  build: (data: Dataset, key: EventKey) => Record<string, unknown>;
  /** Authentication logs: an array cursor and a plain count. Activity and telephony: a "ts,id" string and {relation, value}. */
  arrayCursor: boolean;
  nullable: readonly string[];
  /** The id field a type-drift fault breaks. */
  idField: string;
}

const AUTH: V2LogShape = {
  listField: 'authlogs',
  kind: 'auth',
  build: buildAuthEvent,
  arrayCursor: true,
  idField: 'txid',
  nullable: [
    'access_device.browser', 'access_device.browser_version', 'access_device.hostname', 'access_device.ip',
    'access_device.os', 'access_device.os_version', 'access_device.location.city', 'access_device.location.state',
    'auth_device.ip', 'auth_device.name', 'email', 'alias', 'reason', 'ood_software', 'trusted_endpoint_status',
  ],
};

const ACTIVITY: V2LogShape = {
  listField: 'items',
  kind: 'activity',
  build: buildActivityEvent,
  arrayCursor: false,
  idField: 'activity_id',
  nullable: ['access_device', 'application', 'target', 'action.details', 'actor.details'],
};

const TELEPHONY: V2LogShape = {
  listField: 'items',
  kind: 'telephony',
  build: buildTelephonyEvent,
  arrayCursor: false,
  idField: 'telephony_id',
  nullable: ['context', 'txid'],
};

function formatCursor(shape: V2LogShape, cursor: EventCursor): unknown {
  return shape.arrayCursor ? [String(cursor.ts), cursor.id] : `${cursor.ts},${cursor.id}`;
}

/**
 * Keyset paging over one v2 log: events with mintime <= ts <= maxtime that are visible now, in
 * (ts, id) order, strictly after `next_offset`. `next_offset` names the last event returned and is
 * null once nothing follows. A page holds at most `limit` events, and no more than the account's
 * page-size cap however large `limit` is.
 */
function listV2Log(context: HandlerContext, shape: V2LogShape): HandlerResult {
  const window = parseLogWindow(context.query, context.nowMs);
  if (isFailure(window)) return { ok: false, failure: window };
  const account = context.account;
  const data = account.dataset;
  const view = logView(account, shape.kind, context.nowMs, window.mintime, window.maxtime);
  const timeline = view.timeline;
  const limit = Math.min(window.limit, account.maxLogPageSize);

  const keys: EventKey[] = [];
  for (const key of walkVisible(view, window.sort, window.cursor)) {
    keys.push(key);
    if (keys.length > limit) break;
  }
  const page = keys.slice(0, limit);
  const items = page.map((key) => shape.build(data, key));
  const last = page[page.length - 1];
  const applied: FaultType[] = [];
  let nextOffset: unknown = keys.length > limit && last ? formatCursor(shape, { ts: last.ts, id: timeline.eventId(last) }) : null;
  if (context.plan.stuckCursor && window.cursor && nextOffset !== null) {
    nextOffset = formatCursor(shape, window.cursor);
    applied.push('stuckCursor');
  }
  const total = countEvents(view, 'visible');
  const metadata: Record<string, unknown> = {
    next_offset: nextOffset,
    total_objects: shape.arrayCursor ? total : { relation: 'eq', value: total },
  };
  if (context.plan.schemaDrift) {
    driftItems(items, shape.nullable, context.plan.rng);
    metadata.sim_added_field = 'schema drift';
    applied.push('schemaDrift');
  }
  const response: Record<string, unknown> = { [shape.listField]: items, metadata };
  if (context.plan.typeDrift) {
    if (!breakRequiredField(items, shape.idField, context.plan.rng)) delete response[shape.listField];
    applied.push('typeDrift');
  }
  return { ok: true, body: { stat: 'OK', response }, applied };
}

export function listAuthLogs(context: HandlerContext): HandlerResult {
  return listV2Log(context, AUTH);
}

export function listActivityLogs(context: HandlerContext): HandlerResult {
  return listV2Log(context, ACTIVITY);
}

export function listTelephonyLogs(context: HandlerContext): HandlerResult {
  return listV2Log(context, TELEPHONY);
}
