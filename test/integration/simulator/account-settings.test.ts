import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeAccount } from '../../../simulator/account-builder.js';
import { duoGetJson, manualClock, startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';

/* The account settings: a page-size cap on v2 logs, and a log retention shorter than 180 days. */

const DAY = 86_400_000;
const clock = manualClock(Date.UTC(2026, 4, 6, 10, 0, 0));
const AUTH = '/admin/v2/logs/authentication';
const capped = makeAccount({
  dataset: { seed: 808, users: 40, groups: 3, authEvents: 1200, days: 3, activityEvents: 300, telephonyEvents: 120 },
  settings: { maxLogPageSize: 50 },
});
const shortRetention = makeAccount({
  dataset: { seed: 909, users: 40, groups: 3, authEvents: 6000, days: 60, adminEvents: 600 },
  settings: { logRetentionDays: 30 },
});
let simulator: TestSimulator;

beforeAll(async () => {
  simulator = await startTestSimulator([capped, shortRetention], { now: clock.now });
});

beforeEach(async () => {
  await simulator.control.reset();
});

afterAll(async () => {
  await simulator.close();
});

const authPage = z.object({
  response: z.object({
    authlogs: z.array(z.object({ txid: z.string(), timestamp: z.number() })),
    metadata: z.object({ next_offset: z.tuple([z.string(), z.string()]).nullable(), total_objects: z.number() }),
  }),
});
type AuthPage = z.infer<typeof authPage>;

async function authLogPage(account: typeof capped, params: Record<string, string>): Promise<AuthPage> {
  const response = await duoGetJson(simulator.origin, account, AUTH, params, { clock: clock.now });
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return authPage.parse(response.body);
}

/** Every page of one window, following next_offset, with the limit asked each time. */
async function walkWindow(account: typeof capped, mintime: number, maxtime: number, limit: number): Promise<AuthPage[]> {
  const pages: AuthPage[] = [];
  let cursor: string | null = null;
  do {
    const params: Record<string, string> = { mintime: String(mintime), maxtime: String(maxtime), limit: String(limit), sort: 'ts:asc' };
    if (cursor !== null) params.next_offset = cursor;
    const page = await authLogPage(account, params);
    pages.push(page);
    const next = page.response.metadata.next_offset;
    cursor = next === null ? null : next.join(',');
  } while (cursor !== null);
  return pages;
}

describe('maxLogPageSize', () => {
  const window = () => ({ mintime: clock.now() - 3 * DAY, maxtime: clock.now() - 120_000 });

  it('answers a limit=1000 request with at most the cap, and a next_offset while more follows', async () => {
    const { mintime, maxtime } = window();
    const page = await authLogPage(capped, { mintime: String(mintime), maxtime: String(maxtime), limit: '1000', sort: 'ts:asc' });
    expect(page.response.authlogs).toHaveLength(50);
    expect(page.response.metadata.next_offset).not.toBeNull();
    expect(page.response.metadata.total_objects).toBeGreaterThan(1000);
  });

  it('still honours a limit below the cap', async () => {
    const { mintime, maxtime } = window();
    const page = await authLogPage(capped, { mintime: String(mintime), maxtime: String(maxtime), limit: '7', sort: 'ts:asc' });
    expect(page.response.authlogs).toHaveLength(7);
  });

  it('lets a walk that follows next_offset read every event of the window exactly once', async () => {
    const { mintime, maxtime } = window();
    const pages = await walkWindow(capped, mintime, maxtime, 1000);
    const txids = pages.flatMap((p) => p.response.authlogs.map((e) => e.txid));
    expect(pages.every((p) => p.response.authlogs.length <= 50)).toBe(true);
    expect(new Set(txids).size).toBe(txids.length);
    expect([...txids].sort()).toEqual(await simulator.control.authTxids(capped.integrationKey, { mintime, maxtime }));
  });

  it('caps the activity and telephony logs too', async () => {
    const { mintime, maxtime } = window();
    for (const kind of ['activity', 'telephony']) {
      const response = await duoGetJson(simulator.origin, capped, `/admin/v2/logs/${kind}`, { mintime: String(mintime), maxtime: String(maxtime), limit: '1000' }, { clock: clock.now });
      const body = z.object({ response: z.object({ items: z.array(z.unknown()), metadata: z.object({ next_offset: z.string().nullable() }) }) }).parse(response.body);
      expect(body.response.items).toHaveLength(50);
      expect(body.response.metadata.next_offset).not.toBeNull();
    }
  });

  it('is changed at runtime by PUT /__sim/accounts/:ikey/settings and restored by a reset', async () => {
    const { mintime, maxtime } = window();
    const params = { mintime: String(mintime), maxtime: String(maxtime), limit: '1000', sort: 'ts:asc' };
    await simulator.control.setSettings(capped.integrationKey, { maxLogPageSize: 20 });
    expect((await authLogPage(capped, params)).response.authlogs).toHaveLength(20);
    await simulator.control.setSettings(capped.integrationKey, {});
    expect((await authLogPage(capped, params)).response.authlogs).toHaveLength(1000);
    await simulator.control.reset();
    expect((await authLogPage(capped, params)).response.authlogs).toHaveLength(50);
  });
});

describe('logRetentionDays', () => {
  it('returns no rows older than the retention, without an error, for a mintime Duo accepts', async () => {
    const now = clock.now();
    const pages = await walkWindow(shortRetention, now - 59 * DAY, now - 120_000, 1000);
    const events = pages.flatMap((p) => p.response.authlogs);
    expect(events.length).toBeGreaterThan(0);
    expect(Math.min(...events.map((e) => e.timestamp * 1000))).toBeGreaterThanOrEqual(now - 30 * DAY - 1000);
    expect(pages[0]?.response.metadata.total_objects).toBe(events.length);
  });

  it('answers a window entirely older than the retention with one empty page', async () => {
    const now = clock.now();
    const page = await authLogPage(shortRetention, { mintime: String(now - 50 * DAY), maxtime: String(now - 40 * DAY), limit: '1000', sort: 'ts:asc' });
    expect(page.response).toEqual({ authlogs: [], metadata: { next_offset: null, total_objects: 0 } });
  });

  it('still refuses a mintime older than 180 days with 40002', async () => {
    const now = clock.now();
    const response = await duoGetJson(simulator.origin, shortRetention, AUTH, { mintime: String(now - 181 * DAY), maxtime: String(now) }, { clock: clock.now });
    expect(response.body).toMatchObject({ code: 40002, message_detail: 'mintime must be within the past 180 days' });
  });

  it('applies to the administrator log', async () => {
    const now = clock.now();
    const response = await duoGetJson(simulator.origin, shortRetention, '/admin/v1/logs/administrator', { mintime: String(Math.floor((now - 59 * DAY) / 1000)) }, { clock: clock.now });
    const rows = z.object({ response: z.array(z.object({ timestamp: z.number() })) }).parse(response.body).response;
    expect(rows.length).toBeGreaterThan(0);
    expect(Math.min(...rows.map((r) => r.timestamp))).toBeGreaterThanOrEqual(Math.floor((now - 30 * DAY) / 1000));
  });

  it('is what the truth reports: nothing before the retention', async () => {
    const now = clock.now();
    const truth = await simulator.control.truth(shortRetention.integrationKey);
    expect(truth.window.mintime).toBe(now - 30 * DAY);
    expect(truth.authEvents.oldestMs).toBeGreaterThanOrEqual(now - 30 * DAY);
    const pages = await walkWindow(shortRetention, now - 59 * DAY, now - 120_000, 1000);
    expect(pages.flatMap((p) => p.response.authlogs).length).toBe(truth.authEvents.count);
  });

  it('lengthens back to 180 days when the setting is cleared', async () => {
    await simulator.control.setSettings(shortRetention.integrationKey, {});
    const truth = await simulator.control.truth(shortRetention.integrationKey);
    expect(truth.authEvents.oldestMs).toBeLessThan(clock.now() - 50 * DAY);
  });
});
