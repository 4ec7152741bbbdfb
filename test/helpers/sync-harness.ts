import type { Client } from '@temporalio/client';
import { rollupMismatches as compareRollups } from '../../db/rollup-check.js';
import type { AccountSpec, SimulatorTls } from '../../simulator/server.js';
import { initialSyncWorkflowId } from '../../workflows/definitions.js';
import { createTestApi, type TestApi } from './api.js';
import { startTestSimulator, type TestSimulator } from './simulator.js';
import { startInProcessWorker, type RunningWorker, type WorkerOverrides } from './worker.js';

/**
 * The whole system for one test file: the HTTP API on a fresh database, the run's Temporal dev
 * server, the Duo simulator over HTTP, and (unless a test brings its own) an in-process worker.
 */
export interface SyncHarness {
  api: TestApi;
  simulator: TestSimulator;
  worker: RunningWorker | undefined;
  temporal: Client;
  connect(tenantId: string, account: AccountSpec): Promise<{ statusCode: number; body: Record<string, unknown> }>;
  status(tenantId: string): Promise<Record<string, unknown>>;
  /** Waits for the tenant's initial-sync workflow chain to finish and returns its result. */
  waitForInitialSync(tenantId: string): Promise<unknown>;
  close(): Promise<void>;
}

export async function startSyncHarness(options: {
  accounts: AccountSpec[];
  env?: Record<string, string>;
  withWorker?: boolean;
  /** Worker options for both task queues (e.g. fewer activity slots). */
  workerOverrides?: WorkerOverrides;
  temporalAddress?: string;
  /**
   * Duo over HTTPS, as in production: the simulator serves `certificate` on its TLS port, and the
   * service reaches it through DUO_TEST_RESOLVE, trusting the CA in `caFile` (no origin override).
   */
  https?: { certificate: SimulatorTls; caFile: string };
}): Promise<SyncHarness> {
  const simulator = await startTestSimulator(options.accounts, options.https ? { tls: options.https.certificate } : {});
  const httpsEnv: Record<string, string> =
    options.https && simulator.tlsOrigin
      ? { DUO_TEST_RESOLVE: `*:127.0.0.1:${new URL(simulator.tlsOrigin).port}`, DUO_TEST_CA_FILE: options.https.caFile }
      : {};
  const api = await createTestApi({
    duoOrigin: options.https ? undefined : simulator.origin,
    env: { ...(options.temporalAddress ? { TEMPORAL_ADDRESS: options.temporalAddress } : {}), ...httpsEnv, ...options.env },
  });
  const worker = options.withWorker === false ? undefined : await startInProcessWorker(api.config, api.database.db, options.workerOverrides);
  return {
    api,
    simulator,
    worker,
    temporal: api.temporal,
    async connect(tenantId, account) {
      const response = await api.app.inject({
        method: 'PUT',
        url: `/v1/tenants/${tenantId}/integrations/duo`,
        headers: api.auth,
        payload: { integrationKey: account.integrationKey, secretKey: account.secretKey, apiHost: account.apiHost },
      });
      return { statusCode: response.statusCode, body: response.json() };
    },
    async status(tenantId) {
      const response = await api.app.inject({ method: 'GET', url: `/v1/tenants/${tenantId}/integrations/duo`, headers: api.auth });
      return response.json();
    },
    waitForInitialSync: (tenantId) => api.temporal.workflow.getHandle(initialSyncWorkflowId(tenantId)).result(),
    async close() {
      await worker?.stop();
      await api.close();
      await simulator.close();
    },
  };
}

export interface Differences {
  users: string[];
  groups: string[];
  memberships: string[];
  authTxids: { missing: string[]; extra: string[] };
}

const diff = (expected: string[], actual: string[]) => {
  const want = new Set(expected);
  const have = new Set(actual);
  return { missing: expected.filter((x) => !have.has(x)), extra: actual.filter((x) => !want.has(x)) };
};

/** What Postgres holds for the tenant against what the simulator's Duo account holds. */
export async function compareWithTruth(harness: SyncHarness, tenantId: string, account: AccountSpec, window: { mintime?: number; maxtime?: number } = {}): Promise<Differences> {
  const sql = harness.api.database.sql;
  const roster = await harness.simulator.control.roster(account.integrationKey);
  const users = await sql<{ user_id: string; username: string; status: string; is_enrolled: boolean; email: string | null; last_login: number | null }[]>`
    select user_id, username, status, is_enrolled, email, extract(epoch from last_login_at)::bigint as last_login
    from duo_users where tenant_id = ${tenantId} and in_roster and deleted_at is null`;
  const describe = (u: { user_id: string; username: string; status: string; is_enrolled: boolean; email: string | null; last_login: number | null }) =>
    `${u.user_id}|${u.username}|${u.status}|${u.is_enrolled}|${u.email ?? ''}|${u.last_login === null ? '' : Number(u.last_login)}`;
  const userDiff = diff(roster.users.map((u) => describe({ ...u, email: u.email || null })), users.map(describe));

  const groups = await sql<{ group_id: string; name: string }[]>`select group_id, name from duo_groups where tenant_id = ${tenantId} and deleted_at is null`;
  const groupDiff = diff(roster.groups.map((g) => `${g.group_id}|${g.name}`), groups.map((g) => `${g.group_id}|${g.name}`));

  const memberships = await sql<{ m: string }[]>`
    select m.user_id || ':' || m.group_id as m from duo_user_groups m
    join duo_users u on u.tenant_id = m.tenant_id and u.user_id = m.user_id
    where m.tenant_id = ${tenantId} and u.deleted_at is null`;
  const membershipDiff = diff(roster.users.flatMap((u) => u.group_ids.map((g) => `${u.user_id}:${g}`)), memberships.map((r) => r.m));

  const truthTxids = await harness.simulator.control.authTxids(account.integrationKey, window);
  // The same window on both sides: a scheduled incremental run may already have stored later events.
  const stored = await sql<{ txid: string }[]>`
    select txid from duo_auth_events
    where tenant_id = ${tenantId}
      and floor(extract(epoch from occurred_at) * 1000) >= ${window.mintime ?? 0}
      and floor(extract(epoch from occurred_at) * 1000) <= ${window.maxtime ?? Number.MAX_SAFE_INTEGER}`;
  const txidDiff = diff(truthTxids, stored.map((r) => r.txid));
  return {
    users: [...userDiff.missing.map((u) => `missing ${u}`), ...userDiff.extra.map((u) => `extra ${u}`)],
    groups: [...groupDiff.missing.map((g) => `missing ${g}`), ...groupDiff.extra.map((g) => `extra ${g}`)],
    memberships: [...membershipDiff.missing.map((m) => `missing ${m}`), ...membershipDiff.extra.map((m) => `extra ${m}`)],
    authTxids: txidDiff,
  };
}

export const noDifferences: Differences = { users: [], groups: [], memberships: [], authTxids: { missing: [], extra: [] } };

/**
 * Rows of every rollup table (user and application daily activity with all counts, application users
 * and daily totals, applications) and of the latest-time columns on users that differ from plain SQL
 * over the raw events (0 = consistent). The same comparison as the chaos run's.
 */
export async function rollupMismatches(harness: SyncHarness, tenantId: string): Promise<number> {
  const mismatches = await compareRollups(harness.api.database.sql, tenantId);
  return mismatches.reduce((sum, mismatch) => sum + mismatch.rows, 0);
}

/** Incremental runs of the tenant that have finished (any outcome). */
export async function finishedIncrementalRuns(harness: SyncHarness, tenantId: string): Promise<number> {
  const [row] = await harness.api.database.sql<{ n: number }[]>`
    select count(*)::int as n from sync_runs where tenant_id = ${tenantId} and kind = 'incremental' and outcome <> 'running'`;
  return row?.n ?? 0;
}

/** Where the tenant's backfill ends and the incremental sync begins (ms). */
export async function backfillAnchorMs(harness: SyncHarness, tenantId: string): Promise<number> {
  const [row] = await harness.api.database.sql<{ anchor: number }[]>`
    select (extract(epoch from anchor_at) * 1000)::bigint as anchor from duo_integrations where tenant_id = ${tenantId}`;
  return Number(row?.anchor);
}

/** Where the tenant's auth stream is synced up to (ms). */
export async function authSyncedThroughMs(harness: SyncHarness, tenantId: string): Promise<number> {
  const [row] = await harness.api.database.sql<{ ms: number }[]>`
    select synced_through_ms as ms from stream_checkpoints where tenant_id = ${tenantId} and stream = 'auth'`;
  return Number(row?.ms);
}

/** A readable dump of the tenant's workflows and their pending activities, for failure messages. */
export async function describeTenantWorkflows(harness: SyncHarness, tenantId: string): Promise<string> {
  const lines: string[] = [];
  for await (const execution of harness.temporal.workflow.list({ query: `TenantId = "${tenantId}"` })) {
    const description = await harness.temporal.workflow.getHandle(execution.workflowId, execution.runId).describe();
    lines.push(`${execution.workflowId} ${execution.status.name}`);
    for (const activity of description.raw.pendingActivities ?? []) {
      lines.push(`  pending ${activity.activityType?.name} attempt ${activity.attempt} ${activity.lastFailure?.message ?? ''}`);
    }
  }
  const runs = await harness.api.database.sql`select kind, outcome, error_code, started_at from sync_runs where tenant_id = ${tenantId} order by id`;
  for (const run of runs) lines.push(`run ${run.kind} ${run.outcome} ${run.error_code ?? ''} ${run.started_at.toISOString()}`);
  return lines.join('\n');
}
