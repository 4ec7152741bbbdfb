import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncNow, updateIntegrationSettings } from '../../integrations/lifecycle.js';
import type { ConnectDeps } from '../../integrations/connect.js';
import { createKeyring } from '../../db/credentials.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { describeTenantWorkflows, finishedIncrementalRuns, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';

describe('optional streams: telephony v2, activity v2 and administrator v1 logs', () => {
  // Live events since 20 minutes ago: every stream has rows after the anchor for the schedule to fetch.
  const account = makeAccount({
    dataset: { seed: 61, users: 30, groups: 3, authEvents: 600, days: 2, liveEventsPerMinute: 600, anchorMs: Date.now() - 20 * 60_000 },
  });
  const tenantId = 'streams';
  let harness: SyncHarness;
  let deps: ConnectDeps;

  const stored = async (table: string) => {
    const rows = await harness.api.database.sql.unsafe(`select count(*)::int as n, count(distinct raw::text)::int as distinct_rows from ${table} where tenant_id = $1`, [tenantId]);
    return { n: Number(rows[0]?.n), distinct: Number(rows[0]?.distinct_rows) };
  };
  const checkpoint = async (stream: string) => {
    const [row] = await harness.api.database.sql<{ ms: number }[]>`select synced_through_ms as ms from stream_checkpoints where tenant_id = ${tenantId} and stream = ${stream}`;
    return Number(row?.ms);
  };

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [account] });
    const config = harness.api.config;
    deps = { db: harness.api.database.db, config, temporal: harness.temporal, keyring: createKeyring({ id: config.ENCRYPTION_KEY_ID, key: config.ENCRYPTION_KEY }) };
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    await harness.waitForInitialSync(tenantId);
    await updateIntegrationSettings(deps, tenantId, { streams: { telephony: true, activity: true, administrator: true } });
    for (let i = 0; i < 2; i++) {
      const before = await finishedIncrementalRuns(harness, tenantId);
      // Scheduled runs are named by the second they start in: two triggers within one second would
      // collide on the workflow id and the second would not start.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      await syncNow(deps, tenantId);
      await waitFor('an incremental run', async () => (await finishedIncrementalRuns(harness, tenantId)) > before).catch(async (error: unknown) => {
        throw new Error(`${String(error)}\n${await describeTenantWorkflows(harness, tenantId)}`);
      });
    }
  }, 180_000);
  afterAll(async () => { await harness?.close(); });

  it('stores exactly the telephony and activity events Duo shows between the anchor and the checkpoint', async () => {
    const [row] = await harness.api.database.sql<{ anchor: number }[]>`select (extract(epoch from anchor_at) * 1000)::bigint as anchor from duo_integrations where tenant_id = ${tenantId}`;
    const anchor = Number(row?.anchor);
    const telephony = await harness.simulator.control.truth(account.integrationKey, { mintime: anchor, maxtime: await checkpoint('telephony') });
    const activity = await harness.simulator.control.truth(account.integrationKey, { mintime: anchor, maxtime: await checkpoint('activity') });
    expect(telephony.telephonyEvents.count).toBeGreaterThan(0);
    expect((await stored('duo_telephony_events')).n).toBe(telephony.telephonyEvents.count);
    expect((await stored('duo_activity_events')).n).toBe(activity.activityEvents.count);
  });

  it('dedupes administrator rows (no ids) by their content across inclusive mintime pages', async () => {
    const admin = await stored('duo_admin_events');
    expect(admin.n).toBeGreaterThan(0);
    expect(admin.distinct).toBe(admin.n);
    const [row] = await harness.api.database.sql<{ anchor: number }[]>`select (extract(epoch from anchor_at) * 1000)::bigint as anchor from duo_integrations where tenant_id = ${tenantId}`;
    // v1 scans from the anchor's whole second; it stores the rows of every second up to the checkpoint's.
    const truth = await harness.simulator.control.truth(account.integrationKey, {
      mintime: Math.floor(Number(row?.anchor) / 1000) * 1000,
      maxtime: Math.floor((await checkpoint('administrator')) / 1000) * 1000 + 999,
    });
    expect(admin.n).toBe(truth.adminEvents.count);
  });

  it('keeps each stream on its own checkpoint', async () => {
    const rows = await harness.api.database.sql`select stream, enabled from stream_checkpoints where tenant_id = ${tenantId} order by stream`;
    expect(rows.map((r) => `${r.stream}:${r.enabled}`)).toEqual(['activity:true', 'administrator:true', 'auth:true', 'telephony:true']);
  });
  const readStream = async (stream: string, query: string) => {
    const response = await harness.api.app.inject({ method: 'GET', url: `/v1/tenants/${tenantId}/duo/streams/${stream}/events?${query}`, headers: harness.api.auth });
    return { status: response.statusCode, body: response.json() as { events: { id: string; occurredAt: string; event: Record<string, unknown> }[]; nextCursor: string | null; error?: { code: string; details: { issues: { path: string }[] } } } };
  };

  it('reads each stream back page by page, newest first, every stored event exactly once, with Duo\'s event as received', async () => {
    for (const [stream, table, idField] of [['telephony', 'duo_telephony_events', 'telephony_id'], ['activity', 'duo_activity_events', 'activity_id'], ['administrator', 'duo_admin_events', 'row_hash']] as const) {
      const ids: string[] = [];
      const instants: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await readStream(stream, `limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        expect(page.status).toBe(200);
        ids.push(...page.body.events.map((e) => e.id));
        instants.push(...page.body.events.map((e) => e.occurredAt));
        if (stream === 'activity') for (const e of page.body.events) expect(e.event.activity_id).toBe(e.id);
        cursor = page.body.nextCursor;
      } while (cursor);
      const rows = await harness.api.database.sql.unsafe(`select ${idField} as id from ${table} where tenant_id = $1`, [tenantId]);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(rows.map((r) => String(r.id)).sort());
      expect([...instants].sort().reverse()).toEqual(instants);
    }
  });

  it('filters a stream by time: from inclusive, to exclusive', async () => {
    // The newest page holds every event from its last one on: a window inside it is answered whole.
    const newest = (await readStream('activity', 'limit=500')).body.events;
    expect(newest.length).toBeGreaterThan(10);
    const from = newest[Math.floor(newest.length / 2)]?.occurredAt ?? '';
    const to = newest[2]?.occurredAt ?? '';
    const expected = newest.filter((e) => e.occurredAt >= from && e.occurredAt < to).map((e) => e.id);
    const window = await readStream('activity', `limit=500&from=${from}&to=${to}`);
    expect(window.status).toBe(200);
    expect(window.body.events.map((e) => e.id)).toEqual(expected);
    const before = await readStream('activity', `limit=500&to=${from}`);
    expect(before.body.events.every((e) => e.occurredAt < from)).toBe(true);
  });

  it('answers 400 naming the parameter for an unknown stream, a malformed instant, to before from, a bad limit or a foreign cursor', async () => {
    const cases: [string, string, string][] = [
      ['auth', '', 'stream'],
      ['activity', 'from=yesterday', 'from'],
      ['activity', 'from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
      ['activity', 'limit=0', 'limit'],
      ['activity', 'cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ];
    for (const [stream, query, field] of cases) {
      const answer = await readStream(stream, query);
      expect(answer.status).toBe(400);
      expect(answer.body.error?.code).toBe('validation_failed');
      expect(answer.body.error?.details.issues.map((i) => i.path)).toContain(field);
    }
  });
});
