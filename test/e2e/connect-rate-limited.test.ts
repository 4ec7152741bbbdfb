import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../simulator/account-builder.js';
import { startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';

describe('connect under Duo rate limits', () => {
  const limited = makeAccount({ faults: { seed: 3, rateLimitRate: 1, rateLimitBurst: 100 } });
  const busy = makeAccount();
  let harness: SyncHarness;

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [limited, busy], withWorker: false });
  });
  afterAll(async () => { await harness?.close(); });

  it("answers 503 duo_rate_limited with Retry-After when Duo answers the check with 429, stores nothing, and the 429 reached the account's shared budget", async () => {
    const answer = await harness.connect('limited', limited);
    expect(answer.statusCode).toBe(503);
    expect((answer.body.error as { code: string }).code).toBe('duo_rate_limited');
    const response = await harness.api.app.inject({
      method: 'PUT', url: '/v1/tenants/limited-again/integrations/duo', headers: harness.api.auth,
      payload: { integrationKey: limited.integrationKey, secretKey: limited.secretKey, apiHost: limited.apiHost },
    });
    expect(response.statusCode).toBe(503);
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const status = await harness.api.app.inject({ method: 'GET', url: '/v1/tenants/limited/integrations/duo', headers: harness.api.auth });
    expect(status.statusCode).toBe(404);
    const budgets = await harness.api.database.db.execute<{ rate_limited: number }>(
      sql`select rate_limited::int from duo_rate_budgets where budget_key like ${`${limited.apiHost}:%`}`,
    );
    expect(budgets.reduce((n, b) => n + b.rate_limited, 0)).toBeGreaterThan(0);
  });

  it("waits its turn in the account's budget and, when the account's syncs hold it too long, answers 503 without asking Duo", async () => {
    // The account's syncs hit a 429 moments ago: the shared budget holds every request for 5 minutes.
    await harness.api.database.db.execute(sql`
      insert into duo_rate_budgets (budget_key, tokens, blocked_until) values (${`${busy.apiHost}:object`}, 0, now() + interval '5 minutes')`);
    const answer = await harness.connect('busy', busy);
    expect(answer.statusCode).toBe(503);
    expect((answer.body.error as { code: string }).code).toBe('duo_rate_limited');
    expect((await harness.simulator.control.stats(busy.integrationKey)).requests.total).toBe(0);
  }, 60_000);
});
