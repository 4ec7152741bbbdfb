import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccountSpec } from '../../../simulator/server.js';
import { duoGet, manualClock, startTestSimulator, type SimResponse, type TestSimulator } from '../../helpers/simulator.js';
import { makeAccount } from '../../../simulator/account-builder.js';

const clock = manualClock(Date.UTC(2026, 9, 1, 10, 0, 0));
const limited = makeAccount({ rateLimits: { logRequestsPerMinute: 2, objectRequestsPerMinute: 3 } });
const other = makeAccount({ rateLimits: { logRequestsPerMinute: 2, objectRequestsPerMinute: 3 } });
let simulator: TestSimulator;

beforeAll(async () => {
  simulator = await startTestSimulator([limited, other], { now: clock.now });
});

beforeEach(async () => {
  await simulator.control.reset();
});

afterAll(async () => {
  await simulator.close();
});

function users(account: AccountSpec): Promise<SimResponse> {
  return duoGet(simulator.origin, account, '/admin/v1/users', { limit: '1' }, { clock: clock.now });
}

function authLogs(account: AccountSpec): Promise<SimResponse> {
  const now = clock.now();
  return duoGet(simulator.origin, account, '/admin/v2/logs/authentication', { mintime: String(now - 3_600_000), maxtime: String(now) }, { clock: clock.now });
}

async function statuses(n: number, send: () => Promise<SimResponse>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send()).status);
  return out;
}

describe('rate limits', () => {
  it('answers 429 42901 without Retry-After once the log budget is spent', async () => {
    expect(await statuses(2, () => authLogs(limited))).toEqual([200, 200]);
    const refused = await authLogs(limited);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text)).toEqual({ stat: 'FAIL', code: 42901, message: 'Too Many Requests' });
    expect(refused.headers['retry-after']).toBeUndefined();
  });

  it('budgets object lists apart from logs', async () => {
    await statuses(3, () => authLogs(limited));
    expect(await statuses(4, () => users(limited))).toEqual([200, 200, 200, 429]);
  });

  it('budgets each account apart', async () => {
    await statuses(3, () => authLogs(limited));
    expect((await authLogs(other)).status).toBe(200);
  });

  it('refills at the configured rate on the simulator clock', async () => {
    await statuses(3, () => authLogs(limited));
    clock.advance(30_000);
    expect(await statuses(2, () => authLogs(limited))).toEqual([200, 429]);
  });

  it('takes new limits at runtime', async () => {
    await simulator.control.setRateLimits(limited.integrationKey, { objectRequestsPerMinute: 1 });
    expect(await statuses(2, () => users(limited))).toEqual([200, 429]);
    expect(await statuses(3, () => authLogs(limited))).toEqual([200, 200, 200]);
  });

  it('counts refused requests in the stats', async () => {
    await statuses(3, () => authLogs(limited));
    const stats = await simulator.control.stats(limited.integrationKey);
    expect(stats.requests.byClass.log).toEqual({ '200': 2, '429': 1 });
  });
});
