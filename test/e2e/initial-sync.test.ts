import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userEventListSchema } from '../../api/schemas/usage.js';
import { decodeAuthEvent } from '../../db/event-codec.js';
import { initialSyncWorkflowId, tenantIdSearchAttribute } from '../../workflows/definitions.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { duoGetJson } from '../helpers/simulator.js';
import { textOf } from '../helpers/workflow-history.js';
import { compareWithTruth, noDifferences, rollupMismatches, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';

describe('initial sync, end to end (API → Temporal → worker → simulator → Postgres)', () => {
  // History shorter than the backfill window: everything Duo holds must land.
  const account = makeAccount({ dataset: { seed: 4242, users: 80, groups: 9, authEvents: 4000, days: 8 } });
  const tenantId = 'acme-initial';
  let harness: SyncHarness;
  let connectBody: Record<string, unknown>;
  /** The backfill covers everything before the anchor; later events belong to the incremental sync. */
  let anchorMs: number;

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [account] });
    const connected = await harness.connect(tenantId, account);
    expect(connected.statusCode).toBe(202);
    connectBody = connected.body;
    const [row] = await harness.api.database.sql<{ anchor: number }[]>`select (extract(epoch from anchor_at) * 1000)::bigint as anchor from duo_integrations where tenant_id = ${tenantId}`;
    anchorMs = Number(row?.anchor);
    await harness.waitForInitialSync(tenantId);
  }, 180_000);
  afterAll(async () => {
    await harness?.close();
  });

  it('answers the connect with a running initial sync under the documented workflow id', () => {
    expect(connectBody).toMatchObject({
      tenantId,
      status: 'syncing',
      initialSync: { state: 'running', workflowId: `duo-initial-sync:${tenantId}` },
    });
  });

  it('lands exactly the users, groups, memberships and authentication events the Duo account holds', async () => {
    const differences = await compareWithTruth(harness, tenantId, account, { maxtime: anchorMs });
    expect(differences).toEqual(noDifferences);
    const truth = await harness.simulator.control.truth(account.integrationKey);
    expect(truth.authEvents.count).toBeGreaterThan(1000); // the comparison is not vacuous
  });

  it('keeps the per-user daily rollups equal to SQL over the raw events', async () => {
    expect(await rollupMismatches(harness, tenantId)).toBe(0);
  });

  it('reports completion and the counts Postgres holds in the status document', async () => {
    const status = await harness.status(tenantId);
    const truth = await harness.simulator.control.truth(account.integrationKey, { maxtime: anchorMs });
    expect(status).toMatchObject({
      status: 'active',
      initialSync: { state: 'completed', phase: 'done' },
      counts: { users: truth.users.count, groups: truth.groups.count, authEvents: truth.authEvents.count },
      lastError: null,
    });
  });

  it('returns every stored event exactly as Duo served it, through the events route and from the table', async () => {
    // What the simulator serves for the backfilled window, straight off the wire.
    const served = new Map<string, unknown>();
    const window = { mintime: String(anchorMs - 179 * 86_400_000), maxtime: String(anchorMs - 1), limit: '1000', sort: 'ts:asc' };
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const { status, body } = await duoGetJson(harness.simulator.origin, account, '/admin/v2/logs/authentication', { ...window, ...(cursor ? { next_offset: cursor } : {}) });
      expect(status).toBe(200);
      const { authlogs, metadata } = (body as { response: { authlogs: Array<{ txid: string }>; metadata?: { next_offset?: [string, string] | null } } }).response;
      for (const event of authlogs) served.set(event.txid, event);
      cursor = metadata?.next_offset ? metadata.next_offset.join(',') : null;
    }
    expect(served.size).toBeGreaterThan(1000);

    // Every identified user's events through the API, every page.
    const returned = new Map<string, unknown>();
    const userIds = await harness.api.database.sql<{ user_id: string }[]>`
      select distinct user_id from duo_auth_events where tenant_id = ${tenantId} and user_id is not null and occurred_at < ${new Date(anchorMs)}`;
    for (const { user_id: userId } of userIds) {
      for (let cursor: string | null = null, first = true; first || cursor; first = false) {
        const response = await harness.api.app.inject({
          method: 'GET',
          url: `/v1/tenants/${tenantId}/duo/users/${userId}/events?include=raw&limit=500&to=${new Date(anchorMs).toISOString()}${cursor ? `&cursor=${cursor}` : ''}`,
          headers: harness.api.auth,
        });
        const page = userEventListSchema.parse(response.json());
        for (const event of page.events) returned.set(event.txid, event.raw);
        cursor = page.nextCursor;
      }
    }
    expect(returned.size).toBeGreaterThan(900);
    for (const [txid, raw] of returned) expect(raw, txid).toStrictEqual(served.get(txid));

    // Every stored row, users or not.
    const rows = await harness.api.database.sql<{ txid: string; raw: Buffer }[]>`
      select txid, raw from duo_auth_events where tenant_id = ${tenantId} and occurred_at < ${new Date(anchorMs)}`;
    expect(rows).toHaveLength(served.size);
    for (const row of rows) expect(decodeAuthEvent(row.raw, row.txid), row.txid).toStrictEqual(served.get(row.txid));
  });

  it('tags the workflow with the TenantId search attribute and a readable summary', async () => {
    const description = await harness.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).describe();
    expect(description.typedSearchAttributes.get(tenantIdSearchAttribute)).toBe(tenantId);
    expect(await description.staticSummary()).toContain(tenantId);
  });

  it('creates the incremental schedule at connect', async () => {
    const schedule = await harness.temporal.schedule.getHandle(`duo-incremental:${tenantId}`).describe();
    expect(schedule.state.paused).toBe(false);
  });

  it('never lets the secret key into workflow histories, API answers or logs, and stores it sealed', async () => {
    const histories: string[] = [];
    for await (const execution of harness.temporal.workflow.list({ query: `TenantId = "${tenantId}"` })) {
      const history = await harness.temporal.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      histories.push(textOf(history).join('\n'));
    }
    expect(histories.length).toBeGreaterThan(0);
    // The payloads were read as text: the workflow input (which carries the tenant id) is visible.
    expect(histories.join('\n')).toContain(`"tenantId":"${tenantId}"`);
    for (const history of histories) expect(history.includes(account.secretKey)).toBe(false);
    expect(JSON.stringify(connectBody)).not.toContain(account.secretKey);
    expect(JSON.stringify(await harness.status(tenantId))).not.toContain(account.secretKey);
    expect(harness.api.logs()).not.toContain(account.secretKey);
    const [row] = await harness.api.database.sql`select secret_key_sealed from duo_integrations where tenant_id = ${tenantId}`;
    expect(typeof row?.secret_key_sealed).toBe('string');
    expect(String(row?.secret_key_sealed).length).toBeGreaterThan(account.secretKey.length);
    expect(String(row?.secret_key_sealed).includes(account.secretKey)).toBe(false);
  });
});
