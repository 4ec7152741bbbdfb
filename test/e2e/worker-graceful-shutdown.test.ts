import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configToEnv } from '../../config/config.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { compareWithTruth, noDifferences, startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';
import { waitFor } from '../helpers/waiting.js';
import { startWorkerProcess, type WorkerProcess } from '../../local/worker-process.js';

describe('worker shutdown on SIGTERM', () => {
  const account = makeAccount({ dataset: { seed: 4711, users: 30, groups: 3, authEvents: 20_000, days: 8 } });
  const tenantId = 'sigterm';
  let harness: SyncHarness;
  const workers: WorkerProcess[] = [];
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let anchorMs = 0;

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [account], withWorker: false, env: { DUO_LOG_REQUESTS_PER_MINUTE: '300' } });
    const env = configToEnv(harness.api.config);
    const first = startWorkerProcess(env);
    workers.push(first);
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    const [row] = await harness.api.database.sql<{ anchor: number }[]>`select (extract(epoch from anchor_at) * 1000)::bigint as anchor from duo_integrations where tenant_id = ${tenantId}`;
    anchorMs = Number(row?.anchor);
    await waitFor('the backfill to be under way', async () => {
      const [r] = await harness.api.database.sql<{ n: number }[]>`select count(*)::int as n from backfill_windows where tenant_id = ${tenantId} and pages > 0`;
      return (r?.n ?? 0) > 0;
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      first.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    first.child.kill('SIGTERM');
    exit = await exited;
    workers.push(startWorkerProcess(env));
    await harness.waitForInitialSync(tenantId);
  }, 240_000);
  afterAll(async () => {
    for (const worker of workers) await worker.kill('SIGKILL');
    await harness?.close();
  });

  it('drains and exits cleanly instead of being killed', () => {
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it('leaves nothing behind: the next worker finishes the sync exactly', async () => {
    expect(await compareWithTruth(harness, tenantId, account, { maxtime: anchorMs })).toEqual(noDifferences);
  });
});
