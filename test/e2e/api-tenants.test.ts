import { randomInt } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorResponseSchema } from '../../api/schemas/integration.js';
import { encodeTenantCursor, tenantListSchema } from '../../api/schemas/tenants.js';
import { transition } from '../../integrations/transitions.js';
import { closedPort, createTestApi, type TestApi } from '../helpers/api.js';

// GET /v1/tenants over integrations written straight to Postgres. The API's Temporal client points
// at a closed port: every answer here comes from Postgres alone.
let api: TestApi;
const DAY = 86_400_000;
const anchor = new Date(Date.UTC(2026, 5, 30));

const connect = async (tenantId: string) => {
  await transition.connect(api.database.db, {
    tenantId, apiHost: 'api-x.duosecurity.com', integrationKey: 'DIXXXXXXXXXXXXXXXXXX', secretKeySealed: 'v1.k.a.b.c',
    encryptionKeyId: 'k', anchorAt: anchor, backfillStartAt: new Date(anchor.getTime() - 7 * DAY), initialSyncWorkflowId: `duo-initial-sync:${tenantId}`,
  });
};

/** Sixteen tenants: ten active, three syncing, two needing attention, one disconnected. */
const active = Array.from({ length: 10 }, (_, i) => `t-active-${String(i).padStart(2, '0')}`);
const syncing = ['t-sync-a', 't-sync-b', 't-sync-c'];
const attention = ['t-att-a', 't-att-b'];
const gone = 't-gone';

beforeAll(async () => {
  api = await createTestApi({ duoOrigin: undefined, temporalAddress: `127.0.0.1:${await closedPort()}` });
  for (const tenantId of [...active, ...syncing, ...attention, gone]) await connect(tenantId);
  for (const tenantId of active) await transition.completeInitialSync(api.database.db, tenantId);
  for (const tenantId of attention) await transition.failInitialSync(api.database.db, tenantId, { code: 'DUO_CREDENTIALS_REJECTED', message: 'Duo rejected the keys (40103)' });
  await transition.disconnect(api.database.db, gone);
  // t-sync-a is two days into its backfill with 120 events, the newest one 90 s ago.
  await transition.recordPhase(api.database.db, 't-sync-a', 'auth_logs');
  await api.database.sql`insert into backfill_windows (tenant_id, stream, window_start_ms, window_end_ms, done)
    values ('t-sync-a', 'auth', ${anchor.getTime() - DAY}, ${anchor.getTime()}, true),
           ('t-sync-a', 'auth', ${anchor.getTime() - 2 * DAY}, ${anchor.getTime() - DAY}, true),
           ('t-sync-a', 'auth', ${anchor.getTime() - 3 * DAY}, ${anchor.getTime() - 2 * DAY}, false)`;
  await api.database.sql`update stream_checkpoints set event_count = 120, newest_event_at = now() - interval '90 seconds'
    where tenant_id = 't-sync-a' and stream = 'auth'`;
  await api.database.sql`update duo_integrations set last_run_at = '2026-07-01T10:00:00Z' where tenant_id = ${active[0]!}`;
}, 60_000);

afterAll(async () => {
  await api?.close();
});

const list = async (query = '') => {
  const response = await api.app.inject({ method: 'GET', url: `/v1/tenants${query}`, headers: api.auth });
  return response;
};

const page = async (query = '') => {
  const response = await list(query);
  expect(response.statusCode, response.body).toBe(200);
  return tenantListSchema.parse(response.json());
};

describe('GET /v1/tenants', () => {
  it('lists every tenant in tenant id order, 50 to a page by default', async () => {
    const body = await page();
    expect(body.tenants.map((t) => t.tenantId)).toEqual([...active, ...attention, gone, ...syncing].sort());
    expect(body.nextCursor).toBeNull();
  });

  it('filters by status', async () => {
    const body = await page('?status=needs_attention');
    expect(body.tenants.map((t) => t.tenantId)).toEqual(attention);
    expect(body.tenants.every((t) => t.status === 'needs_attention')).toBe(true);
  });

  it('filters by several statuses given as a repeated parameter', async () => {
    const body = await page('?status=syncing&status=disconnected');
    expect(body.tenants.map((t) => t.tenantId)).toEqual([gone, ...syncing]);
  });

  it('pages through more than one page with nextCursor, each tenant once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const body = await page(`?status=active&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(body.tenants.length).toBeLessThanOrEqual(3);
      seen.push(...body.tenants.map((t) => t.tenantId));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toEqual(active);
  });

  it('shows the initial sync\'s phase, days and events while it runs, and the lag', async () => {
    const [entry] = (await page('?status=syncing&limit=1')).tenants;
    expect(entry).toEqual({
      tenantId: 't-sync-a',
      status: 'syncing',
      phase: 'auth_logs',
      initialSync: { daysDone: 2, daysTotal: 7, eventsSynced: 120 },
      lastRunAt: null,
      lagSeconds: expect.any(Number),
      lastError: null,
    });
    expect(entry!.lagSeconds).toBeGreaterThanOrEqual(90);
    expect(entry!.lagSeconds).toBeLessThan(3600);
  });

  it('shows no phase or progress once the initial sync completed, and the last run', async () => {
    const [entry] = (await page('?status=active&limit=1')).tenants;
    expect(entry).toMatchObject({ tenantId: active[0], phase: null, initialSync: null, lastRunAt: '2026-07-01T10:00:00.000Z', lastError: null });
  });

  it('shows the last error with when it was recorded', async () => {
    const before = Date.now();
    await transition.failInitialSync(api.database.db, 't-att-b', { code: 'DUO_PERMISSION_MISSING', message: 'Grant read log is missing' });
    const entry = (await page('?status=needs_attention')).tenants.find((t) => t.tenantId === 't-att-b');
    expect(entry?.lastError).toEqual({ code: 'DUO_PERMISSION_MISSING', message: 'Grant read log is missing', at: expect.any(String) });
    expect(Date.parse(entry!.lastError!.at)).toBeGreaterThanOrEqual(before - 1000);
  });

  it('answers an empty page past the last tenant', async () => {
    const body = await page(`?cursor=${encodeTenantCursor('zzz')}`);
    expect(body).toEqual({ tenants: [], nextCursor: null });
  });

  it.each([
    ['status', '?status=broken'],
    ['status', '?status=NEEDS_ATTENTION'],
    ['limit', '?limit=0'],
    ['limit', '?limit=201'],
    ['limit', '?limit=ten'],
    ['limit', '?limit=1&limit=2'],
    ['cursor', '?cursor=not-a-cursor'],
    ['cursor', `?cursor=${Buffer.from(JSON.stringify({ v: 1, t: "x' or 1=1" })).toString('base64url')}`],
  ])('answers 400 naming %s for %s', async (field, query) => {
    const response = await list(query);
    expect(response.statusCode).toBe(400);
    const body = errorResponseSchema.parse(response.json());
    expect(body.error.code).toBe('validation_failed');
    expect(JSON.stringify(body.error.details)).toContain(field);
  });

  it('answers 400 to a parameter it does not know', async () => {
    const response = await list('?tenant=acme');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'validation_failed' } });
  });

  it('is described in the OpenAPI document with its three parameters', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/openapi.json', headers: api.auth });
    expect(response.statusCode).toBe(200);
    const operation = (response.json() as { paths: Record<string, { get?: { parameters?: { name: string }[] } }> }).paths['/v1/tenants']?.get;
    expect(operation?.parameters?.map((parameter) => parameter.name).sort()).toEqual(['cursor', 'limit', 'status']);
  });

  it('answers 401 without the token', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/v1/tenants' });
    expect(response.statusCode).toBe(401);
  });
});

// Hostile queries straight at the route (the whole API's fuzz is test/e2e/fuzz-api.test.ts). Replay a
// failure with FUZZ_SEED=<seed>.
const seed = Number(process.env.FUZZ_SEED ?? randomInt(2 ** 31));
const hostile = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', ' ', '0', '-1', '1.5', '1e3', '200', '201', 'null', "' OR '1'='1", '\u0000', '%00', '../', 'needs_attention', 'ACTIVE', '__proto__'),
  // Cursors shaped like ours, with hostile fields.
  fc.record({ v: fc.constantFrom(1, 2, '1', null), t: fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom(active[3]!, 'zzz', '')) }).map((value) =>
    Buffer.from(JSON.stringify(value)).toString('base64url'),
  ),
);
const queryArb = fc.array(fc.tuple(fc.constantFrom('status', 'cursor', 'limit', 'live', 'tenantId', 'status[]'), hostile), { maxLength: 4 });

describe(`GET /v1/tenants under hostile queries (fast-check seed ${seed})`, () => {
  it('answers 200 with a valid page or a JSON 400, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(queryArb, async (pairs) => {
        const query = pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&');
        const response = await list(query ? `?${query}` : '');
        const context = `?${query} -> ${response.statusCode} ${response.body.slice(0, 300)}`;
        expect([200, 400], context).toContain(response.statusCode);
        if (response.statusCode === 200) expect(tenantListSchema.safeParse(response.json()).success, context).toBe(true);
        else expect(errorResponseSchema.parse(response.json()).error.code, context).toBe('validation_failed');
      }),
      { numRuns: 300, seed },
    );
  });
});
