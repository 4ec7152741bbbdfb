import { randomInt } from 'node:crypto';
import { ScheduleNotFoundError } from '@temporalio/client';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../api/app.js';
import { errorResponseSchema } from '../../api/schemas/integration.js';
import { incrementalScheduleId } from '../../workflows/definitions.js';
import { initialSyncExists } from '../helpers/api.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';
import { startInProcessWorker } from '../helpers/worker.js';

/**
 * Property-based hostile input against every route of the client API, through inject(). The seed
 * is in the suite's title; replay a failure with FUZZ_SEED=<seed> (fast-check also prints the
 * shrunk counterexample and its path).
 */
const seed = Number(process.env.FUZZ_SEED ?? randomInt(2 ** 31));

// One tenant is really connected and synced, so the usage and lifecycle routes reach Postgres.
const account = makeAccount({ dataset: { seed: 41, users: 30, groups: 4, authEvents: 400, days: 3 } });
const victim = 'fuzz-victim';
let harness: SyncHarness;
let userIds: string[] = [];
/** Requests sent by every property, printed at the end for the figures in docs/RELIABILITY.md. */
let requestsSent = 0;
const requestsPerProperty: string[] = [];
/** Every base table, with a checksum query per table (built once the schema is known). */
let snapshotQuery = '';

beforeAll(async () => {
  harness = await startSyncHarness({ accounts: [account], withWorker: false });
  const worker = await startInProcessWorker(harness.api.config, harness.api.database.db);
  expect((await harness.connect(victim, account)).statusCode).toBe(202);
  await harness.waitForInitialSync(victim);
  userIds = (await harness.simulator.control.roster(account.integrationKey)).users.map((user) => user.user_id);
  // Without a worker nothing changes Postgres behind the requests' backs: snapshots compare exactly.
  await worker.stop();
  // One incremental run that stays running (no worker polls): with overlap SKIP, no trigger, schedule
  // interval or catch-up can start another run for the victim, so any new run a check sees is a defect.
  const trigger = await harness.api.app.inject({ method: 'POST', url: `/v1/tenants/${victim}/integrations/duo/sync`, headers: harness.api.auth, payload: {} });
  expect(trigger.statusCode).toBe(202);
  await waitFor('the victim\'s incremental run to be visible', async () => (await harness.temporal.workflow.count(`TenantId = "${victim}" AND ExecutionStatus = "Running"`)).count === 1, 30_000, 200);
  snapshotQuery = await buildSnapshotQuery();
}, 180_000);

afterAll(async () => {
  if (harness) {
    // Sync-now runs the fuzz started wait on a task queue no worker polls: end them.
    for await (const execution of harness.temporal.workflow.list({ query: `TenantId = "${victim}" AND ExecutionStatus = "Running"` })) {
      await harness.temporal.workflow.getHandle(execution.workflowId, execution.runId).terminate('fuzz suite finished');
    }
    await harness.close();
  }
  process.stdout.write(`fuzz-api: ${requestsSent} requests (${requestsPerProperty.join(', ')}), seed ${seed}\n`);
});

// --- arbitraries -----------------------------------------------------------------------------

const adversarialText = [
  "' OR '1'='1",
  "'; drop table tenants; --",
  'Robert"); DELETE FROM duo_integrations; --',
  '$1',
  '%',
  '_',
  '\\',
  'a\\',
  '\u0000',
  '\r\nX-Injected: yes',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '😀',
  '\u202e',
  '\ud800',
  'ǅ',
  'İ',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '9007199254740993',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59+23:59',
  'true',
  'null',
  '',
  ' ',
];

const text = fc.oneof(
  { arbitrary: fc.constantFrom(...adversarialText), weight: 3 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 1 },
  { arbitrary: fc.nat({ max: 5000 }).map((n) => 'x'.repeat(n)), weight: 1 },
);

const tenantIdArb = fc.oneof(
  { arbitrary: fc.constant(victim), weight: 4 },
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), weight: 3 },
  { arbitrary: text, weight: 2 },
  { arbitrary: fc.nat({ max: 700 }).map((n) => 'a'.repeat(n + 65)), weight: 1 },
);

/** encodeURIComponent that cannot throw: a lone surrogate becomes U+FFFD. */
const encode = (value: string) => encodeURIComponent(value.replace(/[\ud800-\udfff]/gu, '\ufffd'));

/** A path segment: usually encoded, sometimes raw (broken escapes, dot segments, slashes). */
const segment = (arb: fc.Arbitrary<string>) =>
  fc.tuple(arb, fc.constantFrom('encoded', 'encoded', 'encoded', 'raw')).map(([value, how]) => (how === 'raw' ? value.replace(/[\s?#]/g, '') : encode(value)));

const methods = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
type Method = (typeof methods)[number];

interface RouteTemplate {
  method: Method;
  path: string;
  /** Query parameters the route accepts (anything else is refused by its strict schema). */
  params: readonly string[];
  /** A body the route accepts, to be spoiled one field at a time. */
  body?: Record<string, unknown>;
}

const note = { by: 'ops@example.com', reason: 'fuzz' };
const routeTemplates: readonly RouteTemplate[] = [
  { method: 'PUT', path: '/v1/tenants/{t}/integrations/duo', params: [], body: { integrationKey: 'DIABCDEFGHIJ0123WXYZ', secretKey: 'k'.repeat(40), apiHost: 'api-1a2b3c4d.duosecurity.com' } },
  { method: 'GET', path: '/v1/tenants/{t}/integrations/duo', params: ['live'] },
  { method: 'GET', path: '/v1/tenants', params: ['status', 'cursor', 'limit'] },
  { method: 'PATCH', path: '/v1/tenants/{t}/integrations/duo', params: [], body: { syncIntervalMinutes: 5, streams: { telephony: false }, rosterRefreshHourUtc: 3 } },
  { method: 'DELETE', path: '/v1/tenants/{t}/integrations/duo', params: ['purge'] },
  { method: 'POST', path: '/v1/tenants/{t}/integrations/duo/sync', params: [], body: { roster: false } },
  { method: 'POST', path: '/v1/tenants/{t}/integrations/duo/pause', params: [], body: note },
  { method: 'POST', path: '/v1/tenants/{t}/integrations/duo/resume', params: [], body: note },
  { method: 'GET', path: '/v1/tenants/{t}/duo/usage', params: ['thresholds', 'graceDays'] },
  {
    method: 'GET',
    path: '/v1/tenants/{t}/duo/users',
    params: ['status', 'group', 'inactiveForDays', 'activeWithinDays', 'enrolled', 'search', 'createdMoreThanDaysAgo', 'includeDeleted', 'includeEventOnly', 'sort', 'order', 'limit', 'cursor'],
  },
  { method: 'GET', path: '/v1/tenants/{t}/duo/users/{u}/events', params: ['from', 'to', 'limit', 'cursor'] },
  { method: 'GET', path: '/v1/tenants/{t}/duo/applications', params: ['group'] },
  { method: 'GET', path: '/v1/tenants/{t}/duo/groups', params: ['includeDeleted'] },
  { method: 'GET', path: '/openapi.json', params: [] },
  { method: 'GET', path: '/metrics', params: [] },
  // The two probes answer without a token by design (api/probes.ts); everything else needs it.
  { method: 'GET', path: '/healthz', params: [] },
  { method: 'GET', path: '/readyz', params: [] },
];

/**
 * Requests documented as unauthenticated: GET or HEAD of the load balancer's probes, and of the web
 * console's built files (its page and assets; the page asks for a key before calling the API).
 */
const isProbe = (request: { method: string; url: string }) =>
  ['GET', 'HEAD'].includes(request.method) && /^\/(healthz|readyz|index\.html|assets\/[^?]*)?(\?|$)/.test(request.url);

const knownParams = [...new Set(routeTemplates.flatMap((route) => route.params))];

/** Instants of the right shape that Postgres cannot store (year 0, offsets beyond ±15:59). */
const hostileInstants = ['0000-01-01T00:00:00Z', '0000-06-15T12:00:00.000000Z', '9999-12-31T23:59:59+23:59', '2026-01-01T00:00:00-16:00'];

const base64Json = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null').toString('base64url');

/** Cursors shaped like the API's own, with hostile fields: forged cursors must be a 400, never a 500. */
const forgedCursor = fc.oneof(
  fc.record({ v: fc.constant(1), t: fc.oneof(fc.constantFrom(...hostileInstants.filter((t) => t.endsWith('Z'))), text), id: text }).map(base64Json),
  fc.record({ v: fc.constant(1), s: fc.constantFrom('username.asc', 'username.desc', 'lastActivityAt.asc', 'lastActivityAt.desc'), k: fc.oneof(fc.constantFrom('-infinity', ...hostileInstants), text), id: text }).map(base64Json),
  // The tenant list's: a tenant id to page after.
  fc.record({ v: fc.constantFrom(1, 1, 2, '1', null), t: fc.oneof(fc.constantFrom(victim, 'zzz', ''), text) }).map(base64Json),
);

const paramValue = fc.oneof(
  text,
  fc.constantFrom('true', 'false', '1', '0', '-1', '200', '201', '500', '501', '3650', '3651', 'asc', 'desc', 'username', 'lastActivityAt', 'active', 'locked_out', 'needs_attention', 'syncing', 'disconnected'),
  fc.constantFrom('2026-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-01-01T00:00:00+14:00', '1969-12-31T23:59:59.999999999-00:00', ...hostileInstants),
  forgedCursor,
  fc.base64String({ maxLength: 80 }).map((s) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')),
  fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url')),
  fc.record({ v: fc.constantFrom(1, 2), s: fc.constantFrom('username.asc', 'lastActivityAt.desc', 'x'), k: text, id: text, t: text }, { requiredKeys: [] }).map((v) =>
    Buffer.from(JSON.stringify(v)).toString('base64url'),
  ),
);

const queryString = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...knownParams), text), paramValue, fc.boolean()), { maxLength: 6 })
  .map((pairs) => pairs.map(([k, v, raw]) => (raw ? `${k.replace(/[#\s]/g, '')}=${v.replace(/[#\s]/g, '')}` : `${encode(k)}=${encode(v)}`)).join('&'));

const deepJson = fc.nat({ max: 5000 }).chain((depth) =>
  fc.constantFrom('[', '{"a":').map((open) => (open === '[' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)),
);

const wrongTypes = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), text, fc.array(text, { maxLength: 3 }), fc.dictionary(text, text, { maxKeys: 3 }));

const objectBody = fc
  .record(
    {
      integrationKey: fc.oneof(wrongTypes, fc.stringMatching(/^DI[A-Z0-9]{18}$/)),
      secretKey: fc.oneof(wrongTypes, fc.string({ minLength: 40, maxLength: 40 })),
      apiHost: fc.oneof(wrongTypes, fc.stringMatching(/^api-[a-z0-9]{8}\.duosecurity\.com$/), fc.constantFrom('127.0.0.1', 'api-x.duosecurity.com.evil.com', 'localhost:5432')),
      roster: wrongTypes,
      by: fc.oneof(wrongTypes, fc.string({ maxLength: 300 })),
      reason: fc.oneof(wrongTypes, fc.string({ maxLength: 600 })),
      syncIntervalMinutes: fc.oneof(wrongTypes, fc.integer({ min: -10, max: 2000 })),
      streams: fc.oneof(wrongTypes, fc.record({ telephony: wrongTypes, activity: wrongTypes, administrator: wrongTypes }, { requiredKeys: [] })),
      rosterRefreshHourUtc: fc.oneof(wrongTypes, fc.integer({ min: -2, max: 30 })),
      extra: wrongTypes,
    },
    { requiredKeys: [] },
  )
  .map((body) => JSON.stringify(body));

const rawBody = fc.oneof(
  { arbitrary: objectBody, weight: 4 },
  { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'), weight: 2 },
  { arbitrary: deepJson, weight: 1 },
  { arbitrary: text, weight: 1 },
  {
    arbitrary: fc.constantFrom(
      '{"__proto__":{"polluted":"yes"}}',
      '{"constructor":{"prototype":{"polluted":"yes"}}}',
      '{"a":1,"a":2}',
      '{"roster":true}//',
      '\ufeff{}',
      '{}',
      '',
    ),
    weight: 2,
  },
  { arbitrary: fc.nat({ max: BODY_LIMIT_BYTES + 4096 }).map((n) => JSON.stringify({ by: 'x'.repeat(n), reason: 'r' })), weight: 1 },
);

const contentType = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/JSON',
      'application/json; charset=utf-8; x=y',
      'application/vnd.api+json',
    ),
    weight: 2,
  },
  { arbitrary: fc.constant(undefined), weight: 1 },
);

const acceptHeader = fc.option(fc.constantFrom('text/csv', 'application/json', '*/*', 'text/csv;q=0.5, application/json;q=0.4', 'text/csv;q=nan'), { nil: undefined });

interface FuzzRequest {
  method: Method;
  url: string;
  tenantId: string | undefined;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A DELETE that happens to be valid would disconnect the victim for the rest of the suite: aim it elsewhere. */
function spareVictim(request: FuzzRequest): FuzzRequest {
  if (request.method !== 'DELETE' || request.tenantId !== victim) return request;
  return { ...request, tenantId: 'fuzz-spared', url: request.url.replace(`/tenants/${victim}/`, '/tenants/fuzz-spared/') };
}

/** A request aimed at one of the real routes (or a random path), with any method, query and body. */
const requestArb = (authorization: fc.Arbitrary<string | undefined>): fc.Arbitrary<FuzzRequest> =>
  fc
    .record({
      route: fc.oneof(
        { arbitrary: fc.constantFrom(...routeTemplates), weight: 8 },
        { arbitrary: fc.array(segment(text), { maxLength: 6 }).map((parts): RouteTemplate => ({ method: 'GET', path: `/${parts.join('/')}`, params: [] })), weight: 1 },
        {
          arbitrary: fc.array(segment(text), { maxLength: 3 }).map((parts): RouteTemplate => ({ method: 'GET', path: `/v1/tenants/{t}/${parts.join('/')}`, params: [] })),
          weight: 1,
        },
      ),
      otherMethod: fc.oneof({ arbitrary: fc.constant(null), weight: 5 }, { arbitrary: fc.constantFrom(...methods), weight: 1 }),
      tenantId: tenantIdArb,
      encodeTenant: fc.boolean(),
      userId: segment(fc.oneof(fc.stringMatching(/^DU[A-Z0-9]{18}$/), text)),
      query: fc.option(queryString, { freq: 2 }),
      authorization,
      body: fc.option(rawBody, { freq: 3 }),
      contentType,
      accept: acceptHeader,
    })
    .map((r) => {
      const tenantSegment = r.encodeTenant ? encode(r.tenantId) : r.tenantId.replace(/[\s?#/]/g, '');
      const path = r.route.path.replace('{t}', tenantSegment || 'x').replace('{u}', r.userId || 'u');
      const headers: Record<string, string> = {};
      if (r.authorization !== undefined) headers.authorization = r.authorization;
      if (r.body !== null && r.contentType !== undefined) headers['content-type'] = r.contentType;
      if (r.accept !== undefined) headers.accept = r.accept;
      const method = r.otherMethod ?? r.route.method;
      return { method, url: r.query ? `${path}?${r.query}` : path, tenantId: r.route.path.includes('{t}') ? r.tenantId : undefined, headers, body: r.body ?? undefined };
    })
    .map(spareVictim);

/** One field of a body the route accepts, replaced by a wrong type or hostile text (or a field added). */
const spoiledBody = (body: Record<string, unknown>) =>
  fc.tuple(fc.constantFrom(...Object.keys(body), 'extra', '__proto__'), fc.oneof(wrongTypes, fc.constantFrom(...adversarialText)), fc.boolean()).map(([field, value, drop]) => {
    const copy: Record<string, unknown> = { ...body };
    if (drop) delete copy[field];
    else Object.defineProperty(copy, field, { value, enumerable: true, writable: true, configurable: true });
    return JSON.stringify(copy);
  });

/**
 * A request that is right except for one or two values: a real route and tenant, the route's own
 * query parameters with hostile values, its own body with one field spoiled. This is what reaches
 * the handlers and Postgres, where a 5xx would hide.
 */
const focusedRequestArb = (userIds: () => readonly string[]): fc.Arbitrary<FuzzRequest> =>
  fc
    .constantFrom(...routeTemplates)
    .chain((route) =>
      fc.record({
        route: fc.constant(route),
        tenantId: fc.oneof({ arbitrary: fc.constant(victim), weight: 5 }, { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), weight: 1 }),
        userIndex: fc.nat(),
        query:
          route.params.length === 0
            ? fc.constant<Array<[string, string]>>([])
            : fc.array(fc.tuple(fc.constantFrom(...route.params), paramValue), { maxLength: 3 }),
        body: route.body ? fc.oneof(fc.constant(JSON.stringify(route.body)), spoiledBody(route.body)) : fc.constant(undefined),
        accept: acceptHeader,
      }),
    )
    .map((r) => {
      const ids = userIds();
      const path = r.route.path.replace('{t}', r.tenantId).replace('{u}', ids[r.userIndex % ids.length] ?? 'DU0');
      const query = r.query.map(([k, v]) => `${k}=${encode(v)}`).join('&');
      const headers: Record<string, string> = { authorization: validToken() };
      if (r.body !== undefined) headers['content-type'] = 'application/json';
      if (r.accept !== undefined) headers.accept = r.accept;
      return { method: r.route.method, url: query ? `${path}?${query}` : path, tenantId: r.route.path.includes('{t}') ? r.tenantId : undefined, headers, body: r.body };
    })
    .map(spareVictim);

const validToken = () => `Bearer ${harness.api.config.API_TOKEN}`;

const goodAuth: fc.Arbitrary<string | undefined> = fc.constant(undefined).map(() => validToken());

const badAuth: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.string({ unit: 'binary-ascii', maxLength: 80 }).map((s) => s.replace(/[\r\n\0]/g, '')),
  fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'bearer null', 'Bearer undefined', "Bearer ' OR 1=1 --"),
  fc.constant(undefined).map(() => `Bearer ${harness.api.config.API_TOKEN.slice(0, -1)}`),
  fc.constant(undefined).map(() => `Bearer ${harness.api.config.API_TOKEN}x`),
  fc.constant(undefined).map(() => `Bearer ${harness.api.config.API_TOKEN.toUpperCase()}`),
  fc.constant(undefined).map(() => `Token ${harness.api.config.API_TOKEN}`),
  fc.constant(undefined).map(() => harness.api.config.API_TOKEN),
);

// --- what every answer must satisfy ----------------------------------------------------------

async function send(request: FuzzRequest): Promise<LightMyRequestResponse> {
  requestsSent++;
  propertyRequests++;
  const options: InjectOptions = { method: request.method, url: request.url, headers: request.headers };
  if (request.body !== undefined) options.payload = request.body;
  try {
    return await harness.api.app.inject(options);
  } catch (error) {
    // inject() refuses some URLs before any server code runs (a bare backslash): not a request.
    fc.pre(!(error instanceof TypeError && error.message === 'Invalid URL'));
    throw error;
  }
}

const STACK_TRACE = /\n\s+at\s|\bat [\w.<>]+ \(|node_modules|\.ts:\d+|\/work\//;

/** Status class, envelope, no stack trace, no secret, no injected header. */
function checkAnswer(request: FuzzRequest, response: LightMyRequestResponse): void {
  const context = `${request.method} ${request.url.slice(0, 200)} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
  expect(response.statusCode >= 500, context).toBe(false);
  // No redirects either: every route answers itself.
  expect((response.statusCode >= 200 && response.statusCode < 300) || (response.statusCode >= 400 && response.statusCode < 500), context).toBe(true);
  if (response.statusCode >= 400 && request.method !== 'HEAD') {
    expect(response.headers['content-type'], context).toMatch(/^application\/json/);
    expect(errorResponseSchema.safeParse(JSON.parse(response.body)).success, context).toBe(true);
  }
  expect(STACK_TRACE.test(response.body), context).toBe(false);
  const everything = `${JSON.stringify(response.headers)}\n${response.body}`;
  for (const secret of [account.secretKey, harness.api.config.API_TOKEN, harness.api.config.ENCRYPTION_KEY]) {
    expect(everything.includes(secret), context).toBe(false);
  }
  for (const [name, value] of Object.entries(response.headers)) {
    expect(name.toLowerCase(), context).not.toBe('x-injected');
    expect(/[\r\n]/.test(String(value)), context).toBe(false);
  }
}

/** One query: row count and checksum of every base table (tenant data, rollups, windows, budgets, runs...). */
async function buildSnapshotQuery(): Promise<string> {
  const tables = await harness.api.database.sql<{ schema: string; name: string }[]>`
    select table_schema as schema, table_name as name from information_schema.tables
    where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
      -- A refused request that passed authentication is itself audited (one row, fuzz-access.test.ts checks it),
      -- and a connect refused by Duo did send Duo its check's requests, which the account's shared budget counts.
      and table_name not in ('audit_log', 'duo_rate_budgets')
    order by 1, 2`;
  expect(tables.map((table) => table.name)).toEqual(expect.arrayContaining(['duo_groups', 'duo_user_groups', 'duo_user_daily_activity', 'backfill_windows', 'duo_integrations', 'sync_runs']));
  return tables
    .map(
      ({ schema, name }) =>
        `select '${schema}.${name}' as t, count(*) || ':' || coalesce(md5(string_agg(x::text, ',' order by x::text)), '') as c from "${schema}"."${name}" x`,
    )
    .join(' union all ');
}

/** Row count and checksum per table: a failing comparison names the table that changed. */
async function snapshot(): Promise<Record<string, string>> {
  const rows = await harness.api.database.sql.unsafe<{ t: string; c: string }[]>(snapshotQuery);
  return Object.fromEntries(rows.map((row) => [row.t, row.c]));
}

/** The tenant's workflow runs as visibility lists them (TenantId search attribute). */
async function runsOf(tenantId: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const execution of harness.temporal.workflow.list({ query: `TenantId = "${tenantId}"` })) runs.push(`${execution.workflowId}/${execution.runId}`);
  return runs.sort();
}

/** The victim's schedule as Temporal holds it (what a lifecycle request could change there). */
async function scheduleState(): Promise<string> {
  try {
    const description = await harness.temporal.schedule.getHandle(incrementalScheduleId(victim)).describe();
    return JSON.stringify({ state: description.state, spec: description.spec.intervals });
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return 'none';
    throw error;
  }
}

const validTenantShape = (tenantId: string | undefined): tenantId is string => tenantId !== undefined && /^[A-Za-z0-9_-]{1,64}$/.test(tenantId);

/** Nothing exists in Temporal for the tenant: no initial sync, no schedule (so no scheduled run either). */
async function expectNothingInTemporal(tenantId: string): Promise<void> {
  expect(await initialSyncExists(harness.temporal, tenantId), tenantId).toBe(false);
  await expect(harness.temporal.schedule.getHandle(incrementalScheduleId(tenantId)).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
}

/**
 * Each property stops after this long, whatever its number of runs; it must still send its minimum.
 * Generous: a loaded machine must not turn a full run into a failure (the suite is not a timing test).
 */
const TIME_LIMIT_MS = 150_000;
let propertyRequests = 0;

/**
 * Runs a property with a time bound, then insists it really sent `minRequests` requests: a slow
 * machine that gets interrupted early fails instead of passing on a handful of cases.
 */
async function assertProperty<Ts extends [unknown, ...unknown[]]>(property: fc.IAsyncPropertyWithHooks<Ts>, numRuns: number, minRequests: number): Promise<void> {
  propertyRequests = 0;
  await fc.assert(property, { numRuns, seed, endOnFailure: false, interruptAfterTimeLimit: TIME_LIMIT_MS });
  requestsPerProperty.push(String(propertyRequests));
  expect(propertyRequests, `requests sent within ${TIME_LIMIT_MS / 1000} s (replay with FUZZ_SEED=${seed})`).toBeGreaterThanOrEqual(minRequests);
}

describe(`client API under hostile input (fast-check seed ${seed}; replay with FUZZ_SEED=${seed})`, () => {
  it('answers every authenticated request with 2xx or a JSON 4xx, never a 5xx, a redirect, a stack trace or a secret', async () => {
    await assertProperty(
      fc.asyncProperty(fc.oneof(requestArb(goodAuth), focusedRequestArb(() => userIds)), async (request) => {
        const response = await send(request);
        checkAnswer(request, response);
      }),
      500,
      250,
    );
  }, 240_000);

  it('changes nothing in Postgres or Temporal when it refuses a request', async () => {
    const refusedTenants = new Set<string>();
    const victimRuns = await runsOf(victim);
    await assertProperty(
      fc.asyncProperty(fc.oneof(requestArb(fc.oneof(goodAuth, badAuth)), focusedRequestArb(() => userIds)), async (request) => {
        const tenantId = validTenantShape(request.tenantId) ? request.tenantId : undefined;
        const before = await snapshot();
        const runsBefore = tenantId ? await runsOf(tenantId) : [];
        const scheduleBefore = request.tenantId === victim ? await scheduleState() : '';
        const response = await send(request);
        checkAnswer(request, response);
        if (response.statusCode < 400) return;
        const context = `${request.method} ${request.url.slice(0, 200)} -> ${response.statusCode}`;
        expect(await snapshot(), context).toEqual(before);
        if (tenantId) expect(await runsOf(tenantId), context).toEqual(runsBefore);
        if (request.tenantId === victim) expect(await scheduleState(), context).toBe(scheduleBefore);
        else if (tenantId) {
          await expectNothingInTemporal(tenantId);
          refusedTenants.add(tenantId);
        }
      }),
      250,
      100,
    );
    // Visibility is eventually consistent, so once more after it has settled: no run carries the
    // refused ids, and the victim has exactly the runs it had (its running incremental run makes every
    // trigger a skip, so accepted requests cannot add one either).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const sample = [...refusedTenants].slice(0, 50);
    expect(sample.length).toBeGreaterThan(0);
    const listed = await harness.temporal.workflow.count(`TenantId IN (${sample.map((t) => `"${t}"`).join(', ')})`);
    expect(listed.count).toBe(0);
    expect(await runsOf(victim)).toEqual(victimRuns);
  }, 240_000);

  it('answers 401 with the error envelope to every request without the right token', async () => {
    await assertProperty(
      fc.asyncProperty(requestArb(badAuth), async (request) => {
        fc.pre(!isProbe(request));
        const response = await send(request);
        checkAnswer(request, response);
        expect(response.statusCode).toBe(401);
        expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
      }),
      150,
      100,
    );
  }, 240_000);

  it('never repeats a submitted secret key in an answer or a log line', async () => {
    // Long and random enough that it can only appear in an answer by being echoed.
    const submitted = fc.oneof(fc.stringMatching(/^[A-Za-z0-9]{40}$/), fc.stringMatching(/^[A-Za-z0-9+/=!-]{24,80}$/));
    await assertProperty(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), submitted, fc.constantFrom('PUT', 'PATCH', 'POST'), fc.boolean(), async (tenantId, secret, method, validShape) => {
        const body = validShape
          ? { integrationKey: 'DIABCDEFGHIJ0123WXYZ', secretKey: secret, apiHost: 'api-1a2b3c4d.duosecurity.com' }
          : { integrationKey: secret, secretKey: secret, apiHost: secret, by: secret, reason: secret, syncIntervalMinutes: secret };
        const path = method === 'POST' ? '/pause' : '';
        const request: FuzzRequest = {
          method,
          url: `/v1/tenants/${tenantId}/integrations/duo${path}`,
          tenantId,
          headers: { authorization: validToken(), 'content-type': 'application/json' },
          body: JSON.stringify(body),
        };
        const response = await send(request);
        checkAnswer(request, response);
        expect(response.body).not.toContain(secret);
        expect(harness.api.logs()).not.toContain(secret);
      }),
      100,
      60,
    );
  }, 240_000);

  it('refuses prototype-pollution keys at any depth without polluting Object.prototype', async () => {
    const pollution = fc
      .tuple(fc.constantFrom('__proto__', 'constructor', 'prototype'), fc.nat({ max: 4 }), fc.constantFrom('PUT', 'PATCH', 'POST'))
      .map(([key, depth, method]) => {
        const inner = key === 'constructor' ? `{"prototype":{"polluted":"yes"}}` : `{"polluted":"yes"}`;
        const body = `${'{"streams":'.repeat(depth)}{"${key}":${inner}}${'}'.repeat(depth)}`;
        return { key, body, method };
      });
    await assertProperty(
      fc.asyncProperty(pollution, fc.constantFrom(victim, 'fuzz-unknown'), async ({ body, method }, tenantId) => {
        const path = method === 'POST' ? '/resume' : '';
        const request: FuzzRequest = {
          method,
          url: `/v1/tenants/${tenantId}/integrations/duo${path}`,
          tenantId,
          headers: { authorization: validToken(), 'content-type': 'application/json' },
          body,
        };
        const before = await snapshot();
        const runsBefore = await runsOf(tenantId);
        const response = await send(request);
        checkAnswer(request, response);
        expect(response.statusCode).toBeGreaterThanOrEqual(400);
        expect(await snapshot()).toEqual(before);
        expect(await runsOf(tenantId)).toEqual(runsBefore);
        expect(Object.prototype).not.toHaveProperty('polluted');
      }),
      60,
      40,
    );
  }, 240_000);

  it('answers 413 payload_too_large to a body over the limit on every body route', async () => {
    const bodyRoutes = routeTemplates.filter((route) => route.method !== 'GET');
    await assertProperty(
      fc.asyncProperty(fc.constantFrom(...bodyRoutes), fc.integer({ min: 1, max: 4 * BODY_LIMIT_BYTES }), async (route, extra) => {
        const request: FuzzRequest = {
          method: route.method,
          url: route.path.replace('{t}', victim),
          tenantId: victim,
          headers: { authorization: validToken(), 'content-type': 'application/json' },
          body: JSON.stringify({ by: 'x'.repeat(BODY_LIMIT_BYTES + extra), reason: 'r' }),
        };
        const before = await snapshot();
        const runsBefore = await runsOf(victim);
        const response = await send(request);
        checkAnswer(request, response);
        expect(response.statusCode).toBe(413);
        expect(errorResponseSchema.parse(response.json()).error.code).toBe('payload_too_large');
        expect(await snapshot()).toEqual(before);
        expect(await runsOf(victim)).toEqual(runsBefore);
      }),
      30,
      20,
    );
  }, 240_000);
});
