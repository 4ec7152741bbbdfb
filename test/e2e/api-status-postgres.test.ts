import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrationStatusSchema, type IntegrationStatusDocument } from '../../integrations/status-document.js';
import { makeAccount } from '../../simulator/account-builder.js';
import { createApiWithoutTemporal, createTestApi, type TestApi } from '../helpers/api.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator.js';
import { startInProcessWorker, type RunningWorker } from '../helpers/worker.js';

// The status route reads Postgres only: a second API on the same database, whose Temporal client
// points at a closed port, follows a real initial sync (worker, simulator) as well as the first.
// Every Duo answer takes a while, so the sync runs long enough to be watched mid-way.
const account = makeAccount({
  dataset: { seed: 17, users: 30, groups: 4, authEvents: 400, days: 8 },
  faults: { slowRate: 1, slowMs: 300 },
});

let simulator: TestSimulator;
let api: TestApi;
let worker: RunningWorker;
let offline: { app: FastifyInstance; close(): Promise<void> };

beforeAll(async () => {
  simulator = await startTestSimulator([account]);
  api = await createTestApi({ duoOrigin: simulator.origin, env: { BACKFILL_DAYS: '8' } });
  worker = await startInProcessWorker(api.config, api.database.db);
  offline = await createApiWithoutTemporal(api);
});

afterAll(async () => {
  await offline?.close();
  await worker?.stop();
  await api?.close();
  await simulator?.close();
});

const read = async (app: FastifyInstance, url: string): Promise<IntegrationStatusDocument> => {
  const response = await app.inject({ method: 'GET', url, headers: api.auth });
  expect(response.statusCode, response.body).toBe(200);
  return integrationStatusSchema.parse(response.json());
};

/** The fields that depend on when the document was read, not on what was synced. */
const withoutClock = (status: IntegrationStatusDocument) => ({ ...status, lagSeconds: null, retention: null });

describe('GET …/integrations/duo without Temporal', () => {
  it('follows the initial sync from Postgres alone and ends where the live document does', async () => {
    const tenantId = `sp-${randomBytes(4).toString('hex')}`;
    const url = `/v1/tenants/${tenantId}/integrations/duo`;
    const put = await api.app.inject({
      method: 'PUT',
      url,
      headers: api.auth,
      payload: { integrationKey: account.integrationKey, secretKey: account.secretKey, apiHost: account.apiHost },
    });
    expect(put.statusCode).toBe(202);

    const seen: IntegrationStatusDocument[] = [];
    await expect
      .poll(async () => {
        const status = await read(offline.app, url);
        seen.push(status);
        return status.initialSync.state;
      }, { timeout: 60_000, interval: 150 })
      .toBe('completed');

    // Nothing came from Temporal, and every answer was prompt despite the unreachable client.
    for (const status of seen) {
      expect(status.initialSync.progressSource).toBe('database');
      expect(status.schedule.source).toBe('database');
      expect(status.nextSyncAt).toBeNull();
    }
    // While running, Postgres showed the sync moving: the auth_logs phase, days done rising one by one.
    const running = seen.filter((status) => status.initialSync.state === 'running');
    for (const status of running) expect(status.status).toBe('syncing');
    expect(running.some((status) => status.initialSync.phase === 'auth_logs')).toBe(true);
    const days = running.map((status) => status.initialSync.backfill.windowsDone);
    expect(days).toEqual([...days].sort((a, b) => a - b));
    expect(days.some((done) => done > 0 && done < 8)).toBe(true);

    // Done: the same document as the live one, except what only Temporal knows.
    const done = await read(offline.app, url);
    const live = await read(api.app, `${url}?live=true`);
    expect(done).toMatchObject({ status: 'active', initialSync: { phase: 'done', backfill: { windowsDone: 8, windowsTotal: 8 } } });
    expect(live.schedule.source).toBe('temporal');
    expect(withoutClock(done)).toEqual(
      withoutClock({ ...live, nextSyncAt: null, schedule: { ...live.schedule, source: 'database' }, initialSync: { ...live.initialSync, progressSource: 'database' } }),
    );
  });

  it('answers 404 for an unknown tenant without asking Temporal', async () => {
    const response = await offline.app.inject({ method: 'GET', url: '/v1/tenants/nobody-here/integrations/duo', headers: api.auth });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'tenant_not_found' } });
  });
});
