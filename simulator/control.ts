import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { SimAccount } from './account.js';
import type { LogKind } from './dataset.js';
import { BodyTooLargeError, readBody, sendJson, writeChunk } from './http-io.js';
import { logView, publications, type Publication } from './log-view.js';
import { DuplicateAccountError, type AccountRegistry } from './registry.js';
import { userStatuses } from './roster.js';
import { accountSettingsSchema, accountSpecSchema, faultSpecSchema, permissionNames, rateLimitSpecSchema } from './spec.js';
import { accountTruth, sortedEventIds } from './truth.js';

/**
 * The test-only control API under /__sim/: JSON in and out, no Duo authentication. It changes
 * what the Duo side does (faults, revocations, limits, roster) and reports what Duo holds (truth).
 */

export interface ControlDeps {
  registry: AccountRegistry;
  now: () => number;
}

const grantSchema = z.enum(permissionNames);
const revokeSchema = z
  .strictObject({ keys: z.literal(true).optional(), permission: grantSchema.optional() })
  .refine((body) => body.keys !== undefined || body.permission !== undefined, 'give keys: true or a permission');
const restoreSchema = z.strictObject({ keys: z.literal(true).optional(), permission: grantSchema.optional() });
const statusSchema = z.strictObject({ status: z.enum(userStatuses) });
const renameSchema = z.strictObject({ name: z.string().min(1).max(200) });

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

async function readJson<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  const raw = (
    await readBody(req, 1024 * 1024).catch((error: unknown) => {
      throw error instanceof BodyTooLargeError ? new ControlError(413, error.message) : error;
    })
  ).toString('utf8');
  let value: unknown = {};
  if (raw.trim() !== '') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ControlError(400, 'body is not JSON');
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ControlError(400, z.prettifyError(parsed.error));
  return parsed.data;
}

function intParam(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ControlError(400, `${name} must be an integer (ms)`);
  return Number(raw);
}

function publicationParam(url: URL): Publication {
  const raw = url.searchParams.get('publication') ?? 'visible';
  const publication = publications.find((p) => p === raw);
  if (publication === undefined) throw new ControlError(400, `publication must be one of ${publications.join(', ')}`);
  return publication;
}

function accountOf(deps: ControlDeps, integrationKey: string): SimAccount {
  const account = deps.registry.get(integrationKey);
  if (!account) throw new ControlError(404, `no account ${integrationKey}`);
  return account;
}

const ID_STREAMS: Record<string, Exclude<LogKind, 'admin'>> = {
  'auth-txids': 'auth',
  'telephony-ids': 'telephony',
  'activity-ids': 'activity',
};

export async function handleControlRequest(req: IncomingMessage, res: ServerResponse, deps: ControlDeps): Promise<void> {
  try {
    await route(req, res, deps);
  } catch (error) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof ControlError) sendJson(res, error.status, { error: error.message });
    else sendJson(res, 500, { error: error instanceof Error ? error.message : 'internal error' });
  }
}

async function route(req: IncomingMessage, res: ServerResponse, deps: ControlDeps): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const parts = url.pathname.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
  const method = req.method ?? 'GET';
  const [head, ikey, sub, id, action] = parts;

  if (method === 'POST' && head === 'reset' && parts.length === 1) {
    deps.registry.reset();
    return sendJson(res, 200, { ok: true });
  }
  if (method === 'GET' && head === 'process' && parts.length === 1) {
    const memory = process.memoryUsage();
    return sendJson(res, 200, { pid: process.pid, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed });
  }
  if (head !== 'accounts') throw new ControlError(404, `no control route ${method} ${url.pathname}`);

  if (ikey === undefined) {
    if (method === 'GET') {
      return sendJson(res, 200, { accounts: deps.registry.list().map((a) => ({ integrationKey: a.integrationKey, apiHost: a.spec.apiHost })) });
    }
    if (method === 'POST') {
      const spec = await readJson(req, accountSpecSchema);
      try {
        deps.registry.add(spec);
      } catch (error) {
        if (error instanceof DuplicateAccountError) throw new ControlError(409, error.message);
        throw error;
      }
      return sendJson(res, 201, { integrationKey: spec.integrationKey });
    }
  }
  const account = accountOf(deps, ikey ?? '');
  if (method === 'POST' && parts.length === 5 && sub === 'users' && action === 'delete') {
    account.dataset.roster.deleteUser(userIndex(account, id));
    return sendJson(res, 200, { ok: true });
  }
  if (method === 'POST' && parts.length === 5 && sub === 'users' && action === 'status') {
    const index = userIndex(account, id);
    const body = await readJson(req, statusSchema);
    account.dataset.roster.setUserStatus(index, body.status);
    return sendJson(res, 200, { ok: true });
  }
  if (method === 'POST' && parts.length === 5 && sub === 'groups' && action === 'rename') {
    const index = account.dataset.roster.indexOfGroupId(id ?? '');
    if (index === undefined) throw new ControlError(404, `no group ${id ?? ''}`);
    const body = await readJson(req, renameSchema);
    account.dataset.roster.renameGroup(index, body.name, deps.now());
    return sendJson(res, 200, { ok: true });
  }

  switch (`${method} ${parts.slice(2).join('/')}`) {
    case 'PUT faults': {
      const faults = await readJson(req, faultSpecSchema);
      account.faults.configure(faults);
      return sendJson(res, 200, { faults });
    }
    case 'PUT rate-limits': {
      const limits = await readJson(req, rateLimitSpecSchema);
      account.setRateLimits(limits, deps.now());
      return sendJson(res, 200, { rateLimits: limits });
    }
    case 'PUT settings': {
      const settings = await readJson(req, accountSettingsSchema);
      account.setSettings(settings);
      return sendJson(res, 200, { settings });
    }
    case 'POST revoke': {
      const body = await readJson(req, revokeSchema);
      if (body.keys) account.keysRevoked = true;
      if (body.permission) account.revokePermission(body.permission);
      return sendJson(res, 200, { ok: true });
    }
    case 'POST restore': {
      const body = await readJson(req, restoreSchema);
      if (!body.keys && !body.permission) account.restoreAll();
      if (body.keys) account.keysRevoked = false;
      if (body.permission) account.restorePermission(body.permission);
      return sendJson(res, 200, { ok: true });
    }
    case 'GET stats':
      return sendJson(res, 200, account.stats);
    case 'GET truth': {
      const at = intParam(url, 'at', deps.now());
      const truth = accountTruth(account, at, intParam(url, 'mintime', 0), intParam(url, 'maxtime', Number.MAX_SAFE_INTEGER));
      return sendJson(res, 200, truth);
    }
    case 'GET truth/users':
      return streamRoster(res, account);
    case 'GET truth/auth-txids':
    case 'GET truth/telephony-ids':
    case 'GET truth/activity-ids': {
      const kind = ID_STREAMS[id ?? ''] ?? 'auth';
      const at = intParam(url, 'at', deps.now());
      const view = logView(account, kind, at, intParam(url, 'mintime', 0), intParam(url, 'maxtime', Number.MAX_SAFE_INTEGER));
      return streamIds(res, sortedEventIds(view, publicationParam(url)));
    }
    default:
      throw new ControlError(404, `no control route ${method} ${url.pathname}`);
  }
}

function userIndex(account: SimAccount, userId: string | undefined): number {
  const index = account.dataset.roster.indexOfUserId(userId ?? '');
  if (index === undefined) throw new ControlError(404, `no user ${userId ?? ''}`);
  return index;
}

/** Newline-terminated ids, written as the generator yields them (never all in memory). */
async function streamIds(res: ServerResponse, ids: Iterable<string>): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
  let chunk = '';
  for (const id of ids) {
    chunk += `${id}\n`;
    if (chunk.length >= 65_536) {
      await writeChunk(res, chunk);
      chunk = '';
    }
  }
  res.end(chunk);
}

/** `{"users":[...],"groups":[...]}`: the current roster, each user with its group ids. */
async function streamRoster(res: ServerResponse, account: SimAccount): Promise<void> {
  const roster = account.dataset.roster;
  res.writeHead(200, { 'content-type': 'application/json' });
  let chunk = '{"users":[';
  for (let offset = 0; offset < roster.userCount; offset++) {
    const index = roster.userIndexAtOffset(offset) ?? 0;
    const user = roster.userJson(index);
    const entry = {
      user_id: user.user_id,
      username: user.username,
      email: user.email,
      status: user.status,
      is_enrolled: user.is_enrolled,
      created: user.created,
      last_login: user.last_login,
      group_ids: roster.groupIndexesOf(index).map((g) => roster.groupId(g)),
    };
    chunk += `${offset === 0 ? '' : ','}${JSON.stringify(entry)}`;
    if (chunk.length >= 65_536) {
      await writeChunk(res, chunk);
      chunk = '';
    }
  }
  chunk += '],"groups":[';
  for (let j = 0; j < roster.groupTotal; j++) {
    chunk += `${j === 0 ? '' : ','}${JSON.stringify({ group_id: roster.groupId(j), name: roster.groupName(j) })}`;
  }
  res.end(`${chunk}]}`);
}
