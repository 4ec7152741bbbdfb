import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { duoGetJson, manualClock, startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';
import { makeAccount } from '../../../simulator/account-builder.js';

const ANCHOR = Date.UTC(2026, 6, 1, 8, 0, 0);
const DAY = 86_400_000;
const clock = manualClock(ANCHOR + 10 * 60_000);
const account = makeAccount({
  dataset: { seed: 99, users: 400, groups: 150, authEvents: 20_000, days: 7, adminEvents: 2500, anchorMs: ANCHOR },
});
let simulator: TestSimulator;

beforeAll(async () => {
  simulator = await startTestSimulator([account], { now: clock.now });
});

afterAll(async () => {
  await simulator.close();
});

async function get(path: string, params: Record<string, string> | Array<[string, string]> = {}): Promise<{ status: number; body: unknown }> {
  return duoGetJson(simulator.origin, account, path, params, { clock: clock.now });
}

const objectPage = z.object({
  stat: z.literal('OK'),
  response: z.array(z.record(z.string(), z.unknown())),
  metadata: z.object({ next_offset: z.number().optional(), prev_offset: z.number(), total_objects: z.number() }),
});
const authPage = z.object({
  stat: z.literal('OK'),
  response: z.object({
    authlogs: z.array(z.object({ txid: z.string(), timestamp: z.number(), isotimestamp: z.string() })),
    metadata: z.object({ next_offset: z.tuple([z.string(), z.string()]).nullable(), total_objects: z.number() }),
  }),
});
const itemsPage = z.object({
  stat: z.literal('OK'),
  response: z.object({
    items: z.array(z.record(z.string(), z.unknown())),
    metadata: z.object({ next_offset: z.string().nullable(), total_objects: z.object({ relation: z.string(), value: z.number() }) }),
  }),
});
const adminPage = z.object({
  stat: z.literal('OK'),
  response: z.array(z.object({ action: z.string(), timestamp: z.number(), object: z.string(), username: z.string() })),
});

const window = { mintime: String(ANCHOR - 2 * DAY), maxtime: String(ANCHOR) };

describe('GET /admin/v1/users', () => {
  it('returns 100 users by default with next_offset, prev_offset and total_objects at the top level', async () => {
    const page = objectPage.parse((await get('/admin/v1/users')).body);
    expect(page.response).toHaveLength(100);
    expect(page.metadata).toEqual({ next_offset: 100, prev_offset: 0, total_objects: 400 });
  });

  it('pages by offset like the documented example (offset 200, limit 150)', async () => {
    const page = objectPage.parse((await get('/admin/v1/users', { offset: '200', limit: '150' })).body);
    expect(page.response).toHaveLength(150);
    expect(page.metadata).toEqual({ next_offset: 350, prev_offset: 50, total_objects: 400 });
  });

  it('omits next_offset on the last page', async () => {
    const page = objectPage.parse((await get('/admin/v1/users', { offset: '300', limit: '300' })).body);
    expect(page.response).toHaveLength(100);
    expect(page.metadata).not.toHaveProperty('next_offset');
  });

  it('clamps limit to 300', async () => {
    const page = objectPage.parse((await get('/admin/v1/users', { limit: '1000' })).body);
    expect(page.response).toHaveLength(300);
    expect(page.metadata.next_offset).toBe(300);
  });

  it('answers an empty page past the end', async () => {
    const page = objectPage.parse((await get('/admin/v1/users', { offset: '5000' })).body);
    expect(page.response).toEqual([]);
    expect(page.metadata).not.toHaveProperty('next_offset');
  });

  it.each([['limit', '0'], ['limit', 'ten'], ['offset', '-1']])('answers 400 40002 for %s=%s', async (name, value) => {
    const response = await get('/admin/v1/users', { [name]: value });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ stat: 'FAIL', code: 40002, message: 'Invalid request parameters', message_detail: name });
  });
});

describe('GET /admin/v1/groups', () => {
  it('clamps limit to 100', async () => {
    const page = objectPage.parse((await get('/admin/v1/groups', { limit: '300' })).body);
    expect(page.response).toHaveLength(100);
    expect(page.metadata).toEqual({ next_offset: 100, prev_offset: 0, total_objects: 150 });
  });

  it('returns Duo group fields', async () => {
    const page = objectPage.parse((await get('/admin/v1/groups', { limit: '1' })).body);
    expect(Object.keys(page.response[0] ?? {}).sort()).toEqual(
      ['desc', 'group_id', 'mobile_otp_enabled', 'name', 'push_enabled', 'sms_enabled', 'status', 'voice_enabled'],
    );
  });
});

describe('GET /admin/v2/logs/authentication', () => {
  it('puts an array cursor of the last event and an integer total inside response.metadata', async () => {
    const page = authPage.parse((await get('/admin/v2/logs/authentication', { ...window, sort: 'ts:asc', limit: '10' })).body);
    const last = page.response.authlogs[9];
    expect(page.response.authlogs).toHaveLength(10);
    expect(page.response.metadata.next_offset).toEqual([String(Date.parse(last?.isotimestamp ?? '')), last?.txid]);
    expect(page.response.metadata.total_objects).toBeGreaterThan(1000);
  });

  it('returns 100 events by default and clamps limit to 1000', async () => {
    const byDefault = authPage.parse((await get('/admin/v2/logs/authentication', window)).body);
    const clamped = authPage.parse((await get('/admin/v2/logs/authentication', { ...window, limit: '5000' })).body);
    expect(byDefault.response.authlogs).toHaveLength(100);
    expect(clamped.response.authlogs).toHaveLength(1000);
  });

  it('sorts newest first unless sort=ts:asc', async () => {
    const page = authPage.parse((await get('/admin/v2/logs/authentication', { ...window, limit: '50' })).body);
    const times = page.response.authlogs.map((e) => Date.parse(e.isotimestamp));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('accepts next_offset comma-joined or as two repeated parameters', async () => {
    const first = authPage.parse((await get('/admin/v2/logs/authentication', { ...window, sort: 'ts:asc', limit: '5' })).body);
    const cursor = first.response.metadata.next_offset;
    if (!cursor) throw new Error('expected a cursor');
    const joined = authPage.parse((await get('/admin/v2/logs/authentication', { ...window, sort: 'ts:asc', limit: '5', next_offset: cursor.join(',') })).body);
    const repeated = authPage.parse(
      (
        await get('/admin/v2/logs/authentication', [
          ['mintime', window.mintime], ['maxtime', window.maxtime], ['sort', 'ts:asc'], ['limit', '5'],
          ['next_offset', cursor[0]], ['next_offset', cursor[1]],
        ])
      ).body,
    );
    expect(joined.response.authlogs.map((e) => e.txid)).toEqual(repeated.response.authlogs.map((e) => e.txid));
    expect(joined.response.authlogs[0]?.txid).not.toBe(first.response.authlogs[4]?.txid);
  });

  it('sets next_offset to null on the last page', async () => {
    const narrow = { mintime: String(ANCHOR - DAY), maxtime: String(ANCHOR - DAY + 30 * 60_000) };
    const page = authPage.parse((await get('/admin/v2/logs/authentication', { ...narrow, limit: '1000' })).body);
    expect(page.response.authlogs.length).toBe(page.response.metadata.total_objects);
    expect(page.response.metadata.next_offset).toBeNull();
  });

  it('answers an empty window exactly as Duo does', async () => {
    const empty = { mintime: String(ANCHOR - 6 * DAY - 3_600_000 * 23), maxtime: String(ANCHOR - 6 * DAY - 3_600_000 * 23 + 1) };
    const response = await get('/admin/v2/logs/authentication', empty);
    expect(response.body).toEqual({ stat: 'OK', response: { authlogs: [], metadata: { next_offset: null, total_objects: 0 } } });
  });

  it('gives each event timestamp in seconds and isotimestamp in microseconds', async () => {
    const page = authPage.parse((await get('/admin/v2/logs/authentication', { ...window, limit: '1' })).body);
    const event = page.response.authlogs[0];
    expect(event?.isotimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    expect(event?.timestamp).toBe(Math.floor(Date.parse(event?.isotimestamp ?? '') / 1000));
  });
});

describe.each(['activity', 'telephony'])('GET /admin/v2/logs/%s', (kind) => {
  const path = `/admin/v2/logs/${kind}`;

  it('returns items with a "ts,id" string cursor and total_objects {relation, value}', async () => {
    const page = itemsPage.parse((await get(path, { ...window, sort: 'ts:asc', limit: '3' })).body);
    expect(page.response.items).toHaveLength(3);
    expect(page.response.metadata.next_offset).toMatch(/^\d{13},[0-9a-f-]{36}$/);
    expect(page.response.metadata.total_objects).toEqual({ relation: 'eq', value: expect.any(Number) });
  });

  it('walks every item once by following next_offset to null', async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    let total: number;
    do {
      const params: Record<string, string> = { ...window, sort: 'ts:asc', limit: '1000' };
      if (cursor) params.next_offset = cursor;
      const page = itemsPage.parse((await get(path, params)).body);
      total = page.response.metadata.total_objects.value;
      for (const item of page.response.items) ids.push(String(item.activity_id ?? item.telephony_id));
      cursor = page.response.metadata.next_offset;
    } while (cursor);
    expect(ids.length).toBe(total);
    expect(new Set(ids).size).toBe(total);
  });
});

describe('GET /admin/v1/logs/administrator', () => {
  it('returns the 1000 earliest rows at or after mintime (seconds), without ids or metadata', async () => {
    const page = adminPage.parse((await get('/admin/v1/logs/administrator', { mintime: String((ANCHOR - 7 * DAY) / 1000) })).body);
    expect(page.response).toHaveLength(1000);
    const times = page.response.map((r) => r.timestamp);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(page).not.toHaveProperty('metadata');
  });

  it('can be walked completely by asking again from the last timestamp and deduplicating', async () => {
    const seen = new Set<string>();
    let mintime = (ANCHOR - 7 * DAY) / 1000;
    for (;;) {
      const page = adminPage.parse((await get('/admin/v1/logs/administrator', { mintime: String(mintime) })).body);
      for (const row of page.response) seen.add(`${row.timestamp}|${row.action}|${row.object}|${row.username}`);
      if (page.response.length < 1000) break;
      mintime = page.response[page.response.length - 1]?.timestamp ?? mintime;
    }
    const truth = await simulator.control.truth(account.integrationKey);
    expect(seen.size).toBe(truth.adminEvents.count);
  });
});

describe('unknown endpoints', () => {
  it('answers 404 40401 to a signed request for a path the simulator does not serve', async () => {
    const response = await get('/admin/v1/phones');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ stat: 'FAIL', code: 40401, message: 'Resource not found' });
  });
});
