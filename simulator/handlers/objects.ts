import type { SimAccount } from '../account.js';
import type { Application } from '../dataset.js';
import { invalidParameter } from '../duo-errors.js';
import { breakRequiredField, driftItems, type FaultType } from '../faults.js';
import { hash2, hashString, Rng } from '../prng.js';
import type { Permission } from '../spec.js';
import { parseLimit, type HandlerContext, type HandlerResult } from './context.js';

const USER_NULLABLE = ['alias1', 'alias2', 'alias3', 'alias4', 'last_login', 'last_directory_sync', 'external_id', 'lockout_reason'];
const GROUP_NULLABLE = ['desc'];
const APPLICATION_NULLABLE = ['notes', 'greeting'];

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

/** Protected applications of the account: those its users sign in to, the unused ones, and this Admin API application. */
export function applicationCount(account: SimAccount): number {
  return account.dataset.applications.length + account.dataset.unusedApplications.length + 1;
}

const SECRET_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Duo lists an application's secret key with it (a client must not keep it): here a stable fake one. */
function fakeSecret(seed: number, key: string): string {
  const rng = new Rng(hash2(seed, hashString(key)));
  let out = '';
  for (let i = 0; i < 40; i++) out += SECRET_CHARS[rng.int(SECRET_CHARS.length)];
  return out;
}

const ADMIN_API_FLAGS: ReadonlyArray<readonly [string, Permission | undefined]> = [
  ['adminapi_admins', undefined],
  ['adminapi_info', 'readInformation'],
  ['adminapi_integrations', 'readApplications'],
  ['adminapi_read_log', 'readLog'],
  ['adminapi_read_resource', 'readResource'],
  ['adminapi_settings', undefined],
  ['adminapi_write_resource', undefined],
];

function applicationJson(account: SimAccount, offset: number): Record<string, unknown> {
  const data = account.dataset;
  const listed: Application[] = [...data.applications, ...data.unusedApplications];
  const app = listed[offset];
  const common = { enroll_policy: 'enroll', greeting: '', notes: '', self_service_allowed: false, username_normalization_policy: 'simple' };
  if (app) return { ...common, integration_key: app.key, name: app.name, secret_key: fakeSecret(data.seed, app.key), type: app.type };
  // Last: the Admin API application these keys belong to, with its grants as Duo's 0/1 flags.
  const flags = Object.fromEntries(ADMIN_API_FLAGS.map(([flag, grant]) => [flag, grant !== undefined && account.hasPermission(grant) ? 1 : 0]));
  return { ...common, ...flags, integration_key: account.integrationKey, name: 'Admin API', secret_key: account.spec.secretKey, type: 'adminapi' };
}

/** `/admin/v3/integrations` ("Grant applications", signature v5 only): offset paging like users. */
export function listApplications(context: HandlerContext): HandlerResult {
  return listObjects(context, {
    total: applicationCount(context.account),
    defaultLimit: 100,
    maxLimit: 300,
    item: (offset) => applicationJson(context.account, offset),
    nullable: APPLICATION_NULLABLE,
    idField: 'integration_key',
  });
}
