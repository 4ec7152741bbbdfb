import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresRateBudget } from '../../../db/rate-budget.js';
import { BudgetWaitRequired } from '../../../errors/app-error.js';
import { createDatabase, type DatabaseHandle } from '../../../db/client.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.js';

describe('PostgresRateBudget', () => {
  let database: TestDatabase;
  let second: DatabaseHandle;
  beforeAll(async () => {
    database = await createTestDatabase();
    // A second pool stands in for a second worker process sharing the budget.
    second = createDatabase(database.url, { poolSize: 2 });
  });
  afterAll(async () => {
    await second.close();
    await database.drop();
  });

  it('holds the configured rate across two independent pools of one account', async () => {
    const rates = { log: 600, object: 600 }; // 10 per second
    const a = new PostgresRateBudget(database.db, 'api-shared.duosecurity.com', { requestsPerMinute: rates });
    const b = new PostgresRateBudget(second.db, 'api-shared.duosecurity.com', { requestsPerMinute: rates });
    const started = Date.now();
    await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).acquire('log')));
    const elapsedMs = Date.now() - started;
    // 30 tokens at 10/s with a burst of 10: at least ~2 s, whatever the number of processes.
    expect(elapsedMs).toBeGreaterThanOrEqual(1800);
    const [row] = await database.sql<{ requests: number }[]>`select requests from duo_rate_budgets where budget_key = 'api-shared.duosecurity.com:log'`;
    expect(Number(row?.requests)).toBe(30);
  });

  it('with maxWaitMs, answers a longer wait with the instant the next token is due instead of sleeping, and takes no token', async () => {
    const host = 'api-yield.duosecurity.com';
    // 2 a minute: after the one token, the next is 30 s away.
    const budget = new PostgresRateBudget(database.db, host, { requestsPerMinute: { log: 2, object: 600 }, maxWaitMs: 2_000 });
    await budget.acquire('log');
    const asked = Date.now();
    const error = await budget.acquire('log').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetWaitRequired);
    const retryAtMs = (error as BudgetWaitRequired).retryAtMs;
    expect(retryAtMs - asked).toBeGreaterThan(25_000);
    expect(retryAtMs - asked).toBeLessThanOrEqual(31_000);
    const [row] = await database.sql<{ requests: number }[]>`select requests from duo_rate_budgets where budget_key = ${`${host}:log`}`;
    expect(Number(row?.requests)).toBe(1);
  });

  it('with maxWaitMs, still sleeps through a wait shorter than it', async () => {
    // 60 a minute: the next token is 1 s away, under the 2 s the caller accepts.
    const budget = new PostgresRateBudget(database.db, 'api-short.duosecurity.com', { requestsPerMinute: { log: 60, object: 600 }, maxWaitMs: 2_000 });
    await budget.acquire('log');
    await expect(budget.acquire('log')).resolves.toBeUndefined();
  });

  it('keeps accounts and endpoint classes apart', async () => {
    const budget = new PostgresRateBudget(database.db, 'api-iso.duosecurity.com', { requestsPerMinute: { log: 1, object: 6000 } });
    await budget.acquire('log'); // the one token of the log class
    const started = Date.now();
    for (let i = 0; i < 5; i++) await budget.acquire('object');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('halves the rate and blocks the account after a 429, then recovers on success', async () => {
    const host = 'api-limited.duosecurity.com';
    const budget = new PostgresRateBudget(database.db, host, { requestsPerMinute: { log: 600, object: 600 } });
    await budget.acquire('log');
    await budget.report('log', 'rate_limited');
    const [blocked] = await database.sql<{ rate_factor: number; blocked: boolean }[]>`
      select rate_factor, blocked_until > now() as blocked from duo_rate_budgets where budget_key = ${`${host}:log`}`;
    expect(blocked?.rate_factor).toBeCloseTo(0.5);
    expect(blocked?.blocked).toBe(true);
    const started = Date.now();
    await budget.acquire('log');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900); // the pause is at least one second
    await budget.report('log', 'ok');
    const [recovered] = await database.sql<{ rate_factor: number }[]>`select rate_factor from duo_rate_budgets where budget_key = ${`${host}:log`}`;
    expect(recovered?.rate_factor).toBeCloseTo(0.55); // below 90% of the 429 rate: fast recovery
  });

  it('stops waiting when the signal aborts', async () => {
    const budget = new PostgresRateBudget(database.db, 'api-abort.duosecurity.com', { requestsPerMinute: { log: 1, object: 1 } });
    await budget.acquire('log');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('cancelled')), 100);
    await expect(budget.acquire('log', controller.signal)).rejects.toThrow('cancelled');
  });
});
