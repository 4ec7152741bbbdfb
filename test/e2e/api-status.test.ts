import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrationStatusSchema, type IntegrationStatusDocument } from '../../integrations/status-document.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { startInProcessWorker, type RunningWorker } from '../helpers/worker.js';

// The status document while a real worker runs the initial sync against the simulator.
// Every Duo answer takes a little while, so the sync runs long enough to be watched mid-way.
const account = makeAccount({
  dataset: { seed: 7, users: 30, groups: 4, authEvents: 400, days: 12 },
  faults: { slowRate: 1, slowMs: 400 },
});

let simulator: TestSimulator;
let api: TestApi;
let worker: RunningWorker;

beforeAll(async () => {
  simulator = await startTestSimulator([account]);
  api = await createTestApi({ duoOrigin: simulator.origin, env: { BACKFILL_DAYS: '12' } });
  worker = await startInProcessWorker(api.config, api.database.db);
});

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await simulator?.close();
});

const status0 = (statuses: IntegrationStatusDocument[]) => statuses[0]!;

describe('GET /v1/tenants/:tenantId/integrations/duo during and after the initial sync', () => {
  it('follows the sync to completed with the counts Postgres holds', async () => {
    const tenantId = `st-${randomBytes(4).toString('hex')}`;
    const url = `/v1/tenants/${tenantId}/integrations/duo`;
    const put = await api.app.inject({
      method: 'PUT',
      url,
      headers: api.auth,
      payload: { integrationKey: account.integrationKey, secretKey: account.secretKey, apiHost: account.apiHost },
    });
    expect(put.statusCode).toBe(202);

    const seen: IntegrationStatusDocument[] = [];
    // What the Temporal UI shows as the workflow's Current details, read the way the UI reads it.
    const detailsSeen: string[] = [];
    const workflow = api.temporal.workflow.getHandle(`duo-initial-sync:${tenantId}`);
    const read = async () => {
      // live=true: the phase may come from the running workflow itself (the default reads Postgres only).
      const response = await api.app.inject({ method: 'GET', url: `${url}?live=true`, headers: api.auth });
      expect(response.statusCode).toBe(200);
      const status = integrationStatusSchema.parse(response.json());
      seen.push(status);
      if (status.initialSync.state === 'running') {
        const metadata = await workflow.query<{ currentDetails?: string }>('__temporal_workflow_metadata').catch(() => undefined);
        if (metadata?.currentDetails) detailsSeen.push(metadata.currentDetails);
      }
      return status;
    };
    await expect.poll(async () => (await read()).initialSync.state, { timeout: 50_000, interval: 200 }).toBe('completed');

    // While running, the phase came from the workflow itself.
    const running = seen.filter((status) => status.initialSync.state === 'running');
    expect(running.length).toBeGreaterThan(0);
    expect(running.some((status) => status.initialSync.progressSource === 'workflow')).toBe(true);
    for (const status of running) expect(status.status).toBe('syncing');
    // Once a day is done the document estimates when the rest will be.
    const estimates = running.filter((status) => status.initialSync.backfill.windowsDone > 0).map((status) => status.initialSync.estimatedCompletionAt);
    expect(estimates.length).toBeGreaterThan(0);
    expect(estimates.every((at) => at !== null && Date.parse(at) > Date.parse(status0(running).initialSync.startedAt ?? ''))).toBe(true);
    // The UI's Current details follow the phases and count the days.
    expect(detailsSeen.some((details) => details.includes('**Phase:** auth_logs') && /\*\*Days done:\*\* [1-9]\d* of 12/.test(details))).toBe(true);

    const done = await read();
    const truth = await simulator.control.truth(account.integrationKey);
    expect(done).toMatchObject({ status: 'active', lastError: null });
    expect(done.initialSync).toMatchObject({ phase: 'done', estimatedCompletionAt: null });
    expect(done.initialSync.completedAt).not.toBeNull();
    expect(done.initialSync.backfill.windowsDone).toBe(done.initialSync.backfill.windowsTotal);
    expect(done.counts.users).toBe(truth.users.count);
    expect(done.counts.groups).toBe(truth.groups.count);
    expect(done.counts.authEvents).toBeGreaterThan(0);
    expect(done.initialSync.oldestEventAt).not.toBeNull();
  });
});
