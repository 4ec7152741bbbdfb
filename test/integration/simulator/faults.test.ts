import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { duoGet, manualClock, startTestSimulator, type SimResponse, type TestSimulator } from '../../helpers/simulator.js';
import { makeAccount } from '../../../simulator/account-builder.js';

const clock = manualClock(Date.UTC(2026, 10, 3, 9, 0, 0));
const account = makeAccount({ dataset: { seed: 8, users: 120, groups: 6, authEvents: 5000, days: 3 } });
const restricted = makeAccount({ permissions: { readInformation: false } });
let simulator: TestSimulator;

beforeAll(async () => {
  simulator = await startTestSimulator([account, restricted], { now: clock.now });
});

beforeEach(async () => {
  await simulator.control.reset();
});

afterAll(async () => {
  await simulator.close();
});

const AUTH = '/admin/v2/logs/authentication';

function authParams(extra: Record<string, string> = {}): Record<string, string> {
  const now = clock.now();
  return { mintime: String(now - 2 * 86_400_000), maxtime: String(now), sort: 'ts:asc', limit: '20', ...extra };
}

function get(path: string, params: Record<string, string> = {}, who = account): Promise<SimResponse> {
  return duoGet(simulator.origin, who, path, params, { clock: clock.now });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const authPage = z.object({
  response: z.object({
    authlogs: z.array(z.record(z.string(), z.unknown())),
    metadata: z.object({ next_offset: z.tuple([z.string(), z.string()]).nullable() }),
  }),
});

describe('fault injection', () => {
  it('answers 5xx server errors', async () => {
    await simulator.control.setFaults(account.integrationKey, { serverErrorRate: 1 });
    const responses = await Promise.all(Array.from({ length: 12 }, () => get('/admin/v1/users')));
    for (const response of responses) expect([500, 502, 503, 504]).toContain(response.status);
    const json = responses.find((r) => r.status === 500);
    const html = responses.find((r) => r.status !== 500);
    expect(JSON.parse(json?.text ?? '')).toEqual({ stat: 'FAIL', code: 50001, message: 'Unknown internal server error' });
    expect(html?.headers['content-type']).toBe('text/html');
    expect((await simulator.control.stats(account.integrationKey)).faults.serverError).toBe(12);
  });

  it('answers 429 42901 bursts', async () => {
    await simulator.control.setFaults(account.integrationKey, { rateLimitRate: 1 });
    const response = await get(AUTH, authParams());
    expect(response.status).toBe(429);
    expect(JSON.parse(response.text)).toEqual({ stat: 'FAIL', code: 42901, message: 'Too Many Requests' });
    expect(response.headers['retry-after']).toBeUndefined();
  });

  it('resets the connection', async () => {
    await simulator.control.setFaults(account.integrationKey, { resetRate: 1 });
    await expect(get('/admin/v1/users')).rejects.toThrow();
    expect((await simulator.control.stats(account.integrationKey)).requests.byEndpoint['/admin/v1/users']).toEqual({ reset: 1 });
  });

  it('answers late', async () => {
    await simulator.control.setFaults(account.integrationKey, { slowRate: 1, slowMs: 300 });
    const started = performance.now();
    expect((await get('/admin/v1/users')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('truncates bodies, either as a short complete response or a dropped connection', async () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 12; seed++) {
      await simulator.control.setFaults(account.integrationKey, { seed, truncatedRate: 1 });
      // Only the request may throw; the expectations on an answer stay outside, where they can fail.
      const outcome = await get(AUTH, authParams()).then(
        (response) => ({ response }),
        (error: unknown) => ({ error }),
      );
      if ('error' in outcome) {
        expect(String(outcome.error)).toMatch(/response ended early|response aborted|socket hang up|ECONNRESET/);
        outcomes.add('dropped');
        continue;
      }
      expect(outcome.response.status).toBe(200);
      expect(isJson(outcome.response.text)).toBe(false);
      expect(outcome.response.text.startsWith('{"stat":"OK"')).toBe(true);
      outcomes.add('short body');
    }
    expect(outcomes).toEqual(new Set(['short body', 'dropped']));
  });

  it('sends malformed JSON or an HTML page with status 200', async () => {
    const kinds = new Set<string>();
    for (let seed = 0; seed < 12; seed++) {
      await simulator.control.setFaults(account.integrationKey, { seed, malformedRate: 1 });
      const response = await get('/admin/v1/users', { limit: '2' });
      expect(response.status).toBe(200);
      expect(isJson(response.text)).toBe(false);
      kinds.add(String(response.headers['content-type']));
    }
    expect(kinds).toEqual(new Set(['application/json', 'text/html']));
  });

  it('drifts the schema with new fields and nulls in nullable fields', async () => {
    await simulator.control.setFaults(account.integrationKey, { schemaDriftRate: 1 });
    const page = authPage.parse(JSON.parse((await get(AUTH, authParams({ limit: '50' }))).text));
    const events = page.response.authlogs;
    expect(events.every((e) => 'sim_added_field' in e && typeof e.txid === 'string')).toBe(true);
    expect(events.some((e) => e.reason === null || e.email === null)).toBe(true);
  });

  it("breaks a required field (type drift): the first item's id arrives as a number", async () => {
    await simulator.control.setFaults(account.integrationKey, { typeDriftRate: 1 });
    const auth = authPage.parse(JSON.parse((await get(AUTH, authParams())).text)).response.authlogs;
    expect(typeof auth[0]?.txid).toBe('number');
    expect(auth.slice(1).every((e) => typeof e.txid === 'string')).toBe(true);
    const users = z.object({ response: z.array(z.record(z.string(), z.unknown())) }).parse(JSON.parse((await get('/admin/v1/users', { limit: '3' })).text));
    expect(typeof users.response[0]?.user_id).toBe('number');
    const admin = z.object({ response: z.array(z.record(z.string(), z.unknown())) }).parse(
      JSON.parse((await get('/admin/v1/logs/administrator', { mintime: String(Math.floor(clock.now() / 1000) - 86_400) })).text),
    );
    expect(typeof admin.response[0]?.timestamp).toBe('string');
    expect((await simulator.control.stats(account.integrationKey)).faults.typeDrift).toBe(3);
  });

  it('breaks the list itself when a page has no item (type drift)', async () => {
    await simulator.control.setFaults(account.integrationKey, { typeDriftRate: 1 });
    const now = clock.now();
    const empty = JSON.parse((await get(AUTH, { mintime: String(now - 60_000), maxtime: String(now), sort: 'ts:asc' })).text) as unknown;
    expect(empty).toEqual({ stat: 'OK', response: { metadata: { next_offset: null, total_objects: 0 } } });
  });

  it('repeats the request cursor as next_offset (stuck cursor)', async () => {
    const first = authPage.parse(JSON.parse((await get(AUTH, authParams())).text));
    const cursor = first.response.metadata.next_offset;
    if (!cursor) throw new Error('expected a cursor');
    await simulator.control.setFaults(account.integrationKey, { stuckCursorRate: 1 });
    const stuck = authPage.parse(JSON.parse((await get(AUTH, authParams({ next_offset: cursor.join(',') }))).text));
    expect(stuck.response.metadata.next_offset).toEqual(cursor);
    const users = z.object({ metadata: z.object({ next_offset: z.number() }) }).parse(JSON.parse((await get('/admin/v1/users', { offset: '10', limit: '10' })).text));
    expect(users.metadata.next_offset).toBe(10);
  });

  it('replays the same faults for the same seed', async () => {
    const run = async (): Promise<number[]> => {
      await simulator.control.setFaults(account.integrationKey, { seed: 42, serverErrorRate: 0.5 });
      const out: number[] = [];
      for (let i = 0; i < 16; i++) out.push((await get('/admin/v1/users', { limit: '1' })).status);
      return out;
    };
    const first = await run();
    expect(new Set(first).size).toBeGreaterThan(1);
    expect(await run()).toEqual(first);
  });

  it('leaves the control API alone', async () => {
    await simulator.control.setFaults(account.integrationKey, { resetRate: 1, serverErrorRate: 1 });
    await expect(simulator.control.stats(account.integrationKey)).resolves.toBeDefined();
  });
});

describe('revocation', () => {
  it('answers 40102 once the keys are revoked, and works again once restored', async () => {
    await simulator.control.revoke(account.integrationKey, { keys: true });
    const refused = await get('/admin/v1/users');
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.text)).toMatchObject({ code: 40102 });
    await simulator.control.restore(account.integrationKey, { keys: true });
    expect((await get('/admin/v1/users')).status).toBe(200);
  });

  it('answers 403 40301 on logs once read log is revoked, and users still work', async () => {
    await simulator.control.revoke(account.integrationKey, { permission: 'readLog' });
    const refused = await get(AUTH, authParams());
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text)).toEqual({ stat: 'FAIL', code: 40301, message: 'Access forbidden' });
    expect((await get('/admin/v2/logs/telephony', authParams())).status).toBe(403);
    expect((await get('/admin/v1/users')).status).toBe(200);
  });

  it('answers 403 on users and groups once read resource is revoked', async () => {
    await simulator.control.revoke(account.integrationKey, { permission: 'readResource' });
    expect((await get('/admin/v1/users')).status).toBe(403);
    expect((await get('/admin/v1/groups')).status).toBe(403);
    expect((await get(AUTH, authParams())).status).toBe(200);
  });

  it('honours permissions from the account spec (no read information: no summary)', async () => {
    expect((await get('/admin/v1/info/summary', {}, restricted)).status).toBe(403);
    const summary = await get('/admin/v1/info/summary');
    expect(JSON.parse(summary.text)).toMatchObject({ stat: 'OK', response: { user_count: 120 } });
  });
});
