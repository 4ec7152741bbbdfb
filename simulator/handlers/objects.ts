import { invalidParameter } from '../duo-errors.js';
import { breakRequiredField, driftItems, type FaultType } from '../faults.js';
import { parseLimit, type HandlerContext, type HandlerResult } from './context.js';

const USER_NULLABLE = ['alias1', 'alias2', 'alias3', 'alias4', 'last_login', 'last_directory_sync', 'external_id', 'lockout_reason'];
const GROUP_NULLABLE = ['desc'];

interface ObjectListOptions {
  total: number;
  defaultLimit: number;
  maxLimit: number;
  item: (offset: number) => Record<string, unknown>;
  nullable: readonly string[];
  /** The id field a type-drift fault breaks. */
  idField: string;
}

/**
 * Offset paging as Duo's object lists do it: the page in `response`, and a top-level `metadata`
 * with `next_offset` (absent on the last page), `prev_offset` and `total_objects`.
 */
function listObjects(context: HandlerContext, options: ObjectListOptions): HandlerResult {
  const limit = parseLimit(context.query.get('limit'), options.defaultLimit, options.maxLimit);
  if (limit === undefined) return { ok: false, failure: invalidParameter('limit') };
  const rawOffset = context.query.get('offset') ?? '0';
  if (!/^\d+$/.test(rawOffset)) return { ok: false, failure: invalidParameter('offset') };
  const offset = Number(rawOffset);

  const end = Math.min(offset + limit, options.total);
  const items: Record<string, unknown>[] = [];
  for (let k = offset; k < end; k++) items.push(options.item(k));

  const applied: FaultType[] = [];
  const metadata: Record<string, unknown> = { prev_offset: Math.max(0, offset - limit), total_objects: options.total };
  if (end < options.total) {
    const stuck = context.plan.stuckCursor && offset > 0;
    metadata.next_offset = stuck ? offset : end;
    if (stuck) applied.push('stuckCursor');
  }
  if (context.plan.schemaDrift) {
    driftItems(items, options.nullable, context.plan.rng);
    metadata.sim_added_field = 'schema drift';
    applied.push('schemaDrift');
  }
  let response: Record<string, unknown>[] | null = items;
  if (context.plan.typeDrift) {
    if (!breakRequiredField(items, options.idField, context.plan.rng)) response = null;
    applied.push('typeDrift');
  }
  return { ok: true, body: { stat: 'OK', response, metadata }, applied };
}

export function listUsers(context: HandlerContext): HandlerResult {
  const roster = context.account.dataset.roster;
  return listObjects(context, {
    total: roster.userCount,
    defaultLimit: 100,
    maxLimit: 300,
    item: (offset) => roster.userJson(roster.userIndexAtOffset(offset) ?? 0),
    nullable: USER_NULLABLE,
    idField: 'user_id',
  });
}

export function listGroups(context: HandlerContext): HandlerResult {
  const roster = context.account.dataset.roster;
  return listObjects(context, {
    total: roster.groupTotal,
    defaultLimit: 100,
    maxLimit: 100,
    item: (offset) => roster.groupJson(offset),
    nullable: GROUP_NULLABLE,
    idField: 'group_id',
  });
}
