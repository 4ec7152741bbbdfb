import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configToEnv } from '../../config/config.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { compareWithTruth, noDifferences, rollupMismatches, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';
import { startWorkerProcess, type WorkerProcess } from '../../local/worker-process.js';
import { startScriptedDuoProxy, type ScriptedDuoProxy } from '../helpers/scripted-duo-proxy.js';

const AUTH_LOGS = '/admin/v2/logs/authentication';

describe('initial sync survives a worker killed with SIGKILL mid-backfill', () => {
  const account = makeAccount({ dataset: { seed: 777, users: 60, groups: 6, authEvents: 24_000, days: 8 } });
  const tenantId = 'crash-tenant';
  let harness: SyncHarness;
  const workers: WorkerProcess[] = [];
  let anchorMs = 0;
  let windowsDoneAtKill = 0;
  /** The day windows the killed worker had finished, and where the proxy's request log stood then. */
  let finishedAtKill: { start: number; end: number }[] = [];
  let requestsAtKill = 0;
  // Records every Duo request with its query (the simulator's counters keep no parameters).
  let proxy: ScriptedDuoProxy;

  beforeAll(async () => {
    proxy = await startScriptedDuoProxy();
    // A paced budget (5 log pages a second) keeps the backfill running long enough to be killed in.
    harness = await startSyncHarness({ accounts: [account], withWorker: false, env: { DUO_API_ORIGIN_OVERRIDE: proxy.origin, DUO_LOG_REQUESTS_PER_MINUTE: '300' } });
    proxy.upstream = harness.simulator.origin;
    const env = configToEnv(harness.api.config);
    workers.push(startWorkerProcess(env));
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    const [row] = await harness.api.database.sql<{ anchor: number }[]>`select (extract(epoch from anchor_at) * 1000)::bigint as anchor from duo_integrations where tenant_id = ${tenantId}`;
    anchorMs = Number(row?.anchor);

    const windowsDone = async () => {
      const [r] = await harness.api.database.sql<{ n: number }[]>`select count(*)::int as n from backfill_windows where tenant_id = ${tenantId} and done`;
      return r?.n ?? 0;
    };
    // The worker child bundles its workflows before it polls: slow on a loaded machine.
    await waitFor('two finished day windows', async () => (await windowsDone()) >= 2, 180_000);
    await workers[0]?.kill('SIGKILL');
    windowsDoneAtKill = await windowsDone();
    requestsAtKill = proxy.requests.length;
    finishedAtKill = (
      await harness.api.database.sql<{ start: string; end: string }[]>`
        select window_start_ms as start, window_end_ms as end from backfill_windows where tenant_id = ${tenantId} and stream = 'auth' and done`
    ).map((w) => ({ start: Number(w.start), end: Number(w.end) }));
    workers.push(startWorkerProcess(env));
    await harness.waitForInitialSync(tenantId);
  }, 420_000);

  afterAll(async () => {
    for (const worker of workers) await worker.kill('SIGKILL');
    await harness?.close();
    await proxy?.close();
  });

  it('was killed while the backfill was still running', () => {
    expect(windowsDoneAtKill).toBeGreaterThanOrEqual(2);
    expect(windowsDoneAtKill).toBeLessThan(10); // BACKFILL_DAYS=10 windows in all
  });

  it('does not fetch the windows finished before the crash again', () => {
    expect(finishedAtKill).toHaveLength(windowsDoneAtKill);
    const after = proxy.requests.slice(requestsAtKill).filter((r) => r.path === AUTH_LOGS && r.integrationKey === account.integrationKey);
    // The new worker did fetch the rest: the check below is not vacuous.
    expect(after.length).toBeGreaterThan(0);
    const refetched = after.filter((r) => {
      const mintime = Number(r.params.get('mintime'));
      const maxtime = Number(r.params.get('maxtime'));
      return finishedAtKill.some((w) => mintime < w.end && maxtime > w.start);
    });
    expect(refetched.map((r) => r.params.toString())).toEqual([]);
  });

  it('completes with exactly the simulator events: nothing lost, nothing duplicated', async () => {
    expect(await compareWithTruth(harness, tenantId, account, { maxtime: anchorMs })).toEqual(noDifferences);
    const [dupes] = await harness.api.database.sql`select count(*) - count(distinct txid) as d from duo_auth_events where tenant_id = ${tenantId}`;
    expect(Number(dupes?.d)).toBe(0);
  });

  it('keeps rollups consistent with the raw events after the re-delivered pages', async () => {
    expect(await rollupMismatches(harness, tenantId)).toBe(0);
  });

  it('counts every event once in the status document', async () => {
    const truth = await harness.simulator.control.truth(account.integrationKey, { maxtime: anchorMs });
    expect(await harness.status(tenantId)).toMatchObject({ counts: { authEvents: truth.authEvents.count }, initialSync: { state: 'completed' } });
  });

  it('writes no secret into the worker logs', () => {
    for (const worker of workers) expect(worker.output()).not.toContain(account.secretKey);
  });
});
