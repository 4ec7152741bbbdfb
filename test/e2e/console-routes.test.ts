import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dailyActiveUsersSchema, runListSchema } from '../../api/schemas/console.js';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { DAY_MS, seedOtherTenant, seedUsageScenario } from '../helpers/usage-tenant.js';

// The read routes the console adds (daily active users, one user, the run log, its settings) and the
// console's static files, on the scenario of test/helpers/usage-tenant.ts.

let api: TestApi;
const tenant = 'acme';
const nowMs = Date.now();
const day = (daysAgo: number) => new Date(nowMs - daysAgo * DAY_MS).toISOString().slice(0, 10);

beforeAll(async () => {
  api = await createTestApi({ duoOrigin: 'http://127.0.0.1:9', env: { TEMPORAL_UI_URL: 'http://temporal-ui.example:8233' } });
  await seedUsageScenario(api.database.db, tenant, nowMs);
  await seedOtherTenant(api.database.db, 'globex', nowMs);
});

afterAll(async () => {
  await api?.close();
});

async function get(path: string, headers: Record<string, string> = api.auth) {
  const response = await api.app.inject({ method: 'GET', url: path, headers });
  return { status: response.statusCode, json: () => response.json<Record<string, unknown>>(), response };
}

describe('GET /duo/daily-active-users', () => {
  it('counts distinct users with a successful authentication per UTC day, every day present, oldest first', async () => {
    const answer = await get(`/v1/tenants/${tenant}/duo/daily-active-users?days=7`);
    expect(answer.status).toBe(200);
    const { days } = dailyActiveUsersSchema.parse(answer.json());
    expect(days.map((d) => d.day)).toEqual([6, 5, 4, 3, 2, 1, 0].map(day));
    const byDay = Object.fromEntries(days.map((d) => [d.day, d.activeUsers]));
    // frank and an event-only user a day ago; dave 3 days ago; alice 5 days ago; 2 days ago only denials.
    expect(byDay[day(1)]).toBe(2);
    expect(byDay[day(2)]).toBe(0);
    expect(byDay[day(3)]).toBe(1);
    expect(byDay[day(5)]).toBe(1);
  });

  it('counts only current members of the groups asked for', async () => {
    const { days } = dailyActiveUsersSchema.parse((await get(`/v1/tenants/${tenant}/duo/daily-active-users?days=7&group=sales`)).json());
    expect(days.every((d) => d.activeUsers === 0)).toBe(true);
    const engineering = dailyActiveUsersSchema.parse((await get(`/v1/tenants/${tenant}/duo/daily-active-users?days=7&group=DGENG`)).json());
    expect(engineering.days.find((d) => d.day === day(3))?.activeUsers).toBe(1);
  });

  it('refuses a day count out of range, naming days', async () => {
    const answer = await get(`/v1/tenants/${tenant}/duo/daily-active-users?days=0`);
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.json())).toContain('"path":"days"');
  });

  it('answers tenant_not_found for a tenant never connected', async () => {
    expect((await get('/v1/tenants/nobody/duo/daily-active-users')).status).toBe(404);
  });
});

describe('GET /duo/users/{userId}', () => {
  it('returns the user with groups, aliases and enrolment', async () => {
    const answer = await get(`/v1/tenants/${tenant}/duo/users/DUALICE`);
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({
      userId: 'DUALICE',
      username: 'alice',
      realname: 'Alice Archer',
      groups: [{ groupId: 'DGENG', name: 'Engineering' }],
      aliases: [],
      enrolled: true,
    });
  });

  it("never returns another tenant's user of the same id", async () => {
    expect((await get('/v1/tenants/globex/duo/users/DUALICE')).json()).toMatchObject({ username: 'alice-other', status: 'disabled' });
  });

  it('includes a user Duo no longer lists, with deletedAt', async () => {
    const answer = await get(`/v1/tenants/${tenant}/duo/users/DUFRANK`);
    expect(answer.status).toBe(200);
    expect(answer.json().deletedAt).not.toBeNull();
  });

  it('answers user_not_found for an unknown user', async () => {
    const answer = await get(`/v1/tenants/${tenant}/duo/users/DUNOBODY`);
    expect(answer.status).toBe(404);
    expect(answer.json()).toMatchObject({ error: { code: 'user_not_found', details: { tenantId: tenant, userId: 'DUNOBODY' } } });
  });
});

describe('GET /integrations/duo/runs', () => {
  it('lists the newest runs first with their counts and failure', async () => {
    await api.database.sql`
      insert into sync_runs (tenant_id, kind, workflow_id, run_id, started_at, finished_at, outcome, counts, error_code, error_message) values
        (${tenant}, 'incremental', 'wf', 'r1', now() - interval '2 hours', now() - interval '119 minutes', 'completed', '{"events": 3}', null, null),
        (${tenant}, 'incremental', 'wf', 'r2', now() - interval '1 hour', now() - interval '59 minutes', 'failed', '{}', 'DUO_SERVER_ERROR', 'Duo answered 503'),
        ('globex', 'incremental', 'wf-g', 'g1', now(), null, 'running', '{}', null, null)`;
    const { runs } = runListSchema.parse((await get(`/v1/tenants/${tenant}/integrations/duo/runs?limit=5`)).json());
    expect(runs.map((r) => r.runId)).toEqual(['r2', 'r1']);
    expect(runs[0]).toMatchObject({ outcome: 'failed', error: { code: 'DUO_SERVER_ERROR', message: 'Duo answered 503' } });
    expect(runs[1]).toMatchObject({ outcome: 'completed', counts: { events: 3 }, error: null });
  });

  it('refuses a limit out of range, naming limit', async () => {
    const answer = await get(`/v1/tenants/${tenant}/integrations/duo/runs?limit=1000`);
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.json())).toContain('"path":"limit"');
  });
});

describe('the console', () => {
  it('tells the console where the Temporal UI is', async () => {
    expect((await get('/v1/console/settings')).json()).toEqual({ temporalUiUrl: 'http://temporal-ui.example:8233', temporalNamespace: 'default' });
  });

  it('serves its page and assets without a token, the page revalidated and the hashed assets cached', async () => {
    const page = await get('/', {});
    expect(page.status).toBe(200);
    expect(page.response.headers['cache-control']).toBe('no-cache');
    expect(page.response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.response.body)?.[1];
    expect(script).toBeDefined();
    const asset = await get(script!, {});
    expect(asset.status).toBe(200);
    expect(asset.response.headers['cache-control']).toContain('immutable');
  });

  it('keeps everything else behind the token: its settings, unknown paths, and other methods on its page', async () => {
    expect((await get('/v1/console/settings', {})).status).toBe(401);
    expect((await get('/assets/not-built.js', {})).status).toBe(401);
    expect((await api.app.inject({ method: 'POST', url: '/', payload: {} })).statusCode).toBe(401);
  });
});
