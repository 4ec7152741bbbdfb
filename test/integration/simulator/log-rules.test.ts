import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { duoGetJson, manualClock, startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';
import { makeAccount } from '../../../simulator/account-builder.js';

const START = Date.UTC(2026, 8, 14, 15, 30, 0);
const DAY = 86_400_000;
const clock = manualClock(START);
const account = makeAccount({
  dataset: { seed: 5, users: 60, groups: 5, authEvents: 180 * 1440 * 2, days: 180, liveEventsPerMinute: 30 },
});
// Live events from ten minutes before the start at 60 a minute, so the newest two minutes hold events.
const busy = makeAccount({
  dataset: { seed: 6, users: 20, groups: 2, authEvents: 100, days: 1, liveEventsPerMinute: 60, anchorMs: START - 10 * 60_000 },
});
let simulator: TestSimulator;

beforeAll(async () => {
  simulator = await startTestSimulator([account, busy], { now: clock.now });
});

afterAll(async () => {
  await simulator.close();
});

const authPage = z.object({
  response: z.object({
    authlogs: z.array(z.object({ txid: z.string(), isotimestamp: z.string() })),
    metadata: z.object({ next_offset: z.tuple([z.string(), z.string()]).nullable(), total_objects: z.number() }),
  }),
});

async function get(path: string, params: Record<string, string>, from = account): Promise<{ status: number; body: unknown }> {
  return duoGetJson(simulator.origin, from, path, params, { clock: clock.now });
}

function invalid(detail: string): unknown {
  return { stat: 'FAIL', code: 40002, message: 'Invalid request parameters', message_detail: detail };
}

async function newestEventMs(from = account): Promise<number> {
  const now = clock.now();
  const params = { mintime: String(now - DAY), maxtime: String(now), limit: '1', sort: 'ts:desc' };
  const page = authPage.parse((await get('/admin/v2/logs/authentication', params, from)).body);
  return Date.parse(page.response.authlogs[0]?.isotimestamp ?? '');
}

describe.each(['authentication', 'activity', 'telephony'])('v2 %s log parameters', (kind) => {
  const path = `/admin/v2/logs/${kind}`;
  const ok = (): Record<string, string> => ({ mintime: String(clock.now() - DAY), maxtime: String(clock.now()) });

  it('answers 400 40001 without mintime', async () => {
    const response = await get(path, { maxtime: String(clock.now()) });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ stat: 'FAIL', code: 40001, message: 'Missing required request parameters', message_detail: 'mintime' });
  });

  it('answers 400 40001 without maxtime', async () => {
    const response = await get(path, { mintime: String(clock.now() - DAY) });
    expect(response.body).toMatchObject({ code: 40001, message_detail: 'maxtime' });
  });

  it('answers 40002 for a mintime in seconds', async () => {
    const response = await get(path, { ...ok(), mintime: String(Math.floor((clock.now() - DAY) / 1000)) });
    expect(response.status).toBe(400);
    expect(response.body).toEqual(invalid("'mintime' must be a timestamp in milliseconds"));
  });

  it('answers 40002 for a maxtime that is not 13 digits', async () => {
    expect((await get(path, { ...ok(), maxtime: `${clock.now()}000` })).body).toEqual(invalid("'maxtime' must be a timestamp in milliseconds"));
  });

  it('answers 40002 for a mintime older than 180 days', async () => {
    expect((await get(path, { ...ok(), mintime: String(clock.now() - 180 * DAY - 1000) })).body).toEqual(
      invalid('mintime must be within the past 180 days'),
    );
  });

  it('answers 40002 when maxtime is not after mintime', async () => {
    const at = String(clock.now() - DAY);
    expect((await get(path, { mintime: at, maxtime: at })).body).toEqual(invalid("'maxtime' must be strictly greater than 'mintime'"));
  });

  it.each([['sort', 'timestamp'], ['limit', '-5'], ['next_offset', 'nonsense']])('answers 40002 naming a bad %s', async (name, value) => {
    expect((await get(path, { ...ok(), [name]: value })).body).toEqual(invalid(name));
  });
});

describe('visibility rules', () => {
  it('hides events newer than two minutes even when maxtime asks for them', async () => {
    const now = clock.now();
    // The hidden stretch does hold events: two minutes later they are visible.
    const later = await simulator.control.truth(busy.integrationKey, { at: now + 120_000, mintime: now - 120_000 + 1, maxtime: now });
    expect(later.authEvents.count).toBeGreaterThan(0);
    const newest = await newestEventMs(busy);
    expect(newest).toBeLessThanOrEqual(now - 120_000);
    expect(newest).toBeGreaterThan(now - 180_000);
  });

  it('shows live events as the clock advances', async () => {
    const before = await simulator.control.truth(account.integrationKey);
    clock.advance(10 * 60_000);
    const after = await simulator.control.truth(account.integrationKey);
    expect(after.authEvents.newestMs).toBeGreaterThan(START);
    // About 10 more minutes of visible events at 30 a minute (history is denser, so a wide band).
    expect(after.authEvents.count - before.authEvents.count).toBeGreaterThan(100);
    expect(await newestEventMs()).toBeGreaterThan(START);
  });

  it('forgets events older than 180 days', async () => {
    const before = await simulator.control.truth(account.integrationKey);
    clock.advance(20 * DAY);
    const after = await simulator.control.truth(account.integrationKey);
    expect(after.authEvents.oldestMs).toBeGreaterThanOrEqual(clock.now() - 180 * DAY);
    expect(before.authEvents.oldestMs).toBeLessThan(after.authEvents.oldestMs ?? 0);
    const page = authPage.parse(
      (await get('/admin/v2/logs/authentication', { mintime: String(clock.now() - 180 * DAY), maxtime: String(clock.now()), sort: 'ts:asc', limit: '1' })).body,
    );
    expect(Date.parse(page.response.authlogs[0]?.isotimestamp ?? '')).toBeGreaterThanOrEqual(clock.now() - 180 * DAY);
  });
});
