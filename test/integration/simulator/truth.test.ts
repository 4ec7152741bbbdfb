import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { duoGetJson, manualClock, startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';
import { makeAccount } from '../../../simulator/account-builder.js';

const clock = manualClock(Date.UTC(2026, 1, 2, 13, 45, 0));
const DAY = 86_400_000;
const account = makeAccount({
  dataset: { seed: 1234, users: 650, groups: 12, authEvents: 8000, days: 10, adminEvents: 1500, liveEventsPerMinute: 20 },
});
let simulator: TestSimulator;

beforeAll(async () => {
  simulator = await startTestSimulator([account], { now: clock.now });
});

beforeEach(async () => {
  await simulator.control.reset();
});

afterAll(async () => {
  await simulator.close();
});

/** The documented checksum: SHA-256 hex of the sorted lines joined by "\n". */
function checksum(lines: string[]): string {
  return createHash('sha256').update([...lines].sort().join('\n')).digest('hex');
}

async function get(path: string, params: Record<string, string>): Promise<unknown> {
  const response = await duoGetJson(simulator.origin, account, path, params, { clock: clock.now });
  expect(response.status).toBe(200);
  return response.body;
}

const userPage = z.object({
  response: z.array(z.object({ user_id: z.string(), status: z.string(), groups: z.array(z.object({ group_id: z.string(), name: z.string() })) })),
  metadata: z.object({ next_offset: z.number().optional() }),
});
const groupPage = z.object({ response: z.array(z.object({ group_id: z.string(), name: z.string() })), metadata: z.object({ next_offset: z.number().optional() }) });

async function crawlUsers(): Promise<z.infer<typeof userPage>['response']> {
  const users: z.infer<typeof userPage>['response'] = [];
  let offset: number | undefined = 0;
  while (offset !== undefined) {
    const page = userPage.parse(await get('/admin/v1/users', { limit: '300', offset: String(offset) }));
    users.push(...page.response);
    offset = page.metadata.next_offset;
  }
  return users;
}

async function crawlGroups(): Promise<z.infer<typeof groupPage>['response']> {
  const groups: z.infer<typeof groupPage>['response'] = [];
  let offset: number | undefined = 0;
  while (offset !== undefined) {
    const page = groupPage.parse(await get('/admin/v1/groups', { limit: '100', offset: String(offset) }));
    groups.push(...page.response);
    offset = page.metadata.next_offset;
  }
  return groups;
}

const logPage = z.object({
  response: z.object({
    authlogs: z.array(z.object({ txid: z.string(), isotimestamp: z.string(), user: z.object({ groups: z.array(z.string()) }) })).optional(),
    items: z.array(z.object({ activity_id: z.string().optional(), telephony_id: z.string().optional(), ts: z.string() })).optional(),
    metadata: z.object({ next_offset: z.union([z.tuple([z.string(), z.string()]), z.string()]).nullable() }),
  }),
});

interface Crawled {
  ids: string[];
  times: number[];
  groupsSeen: Array<{ ms: number; groups: string[] }>;
}

async function crawlLog(kind: 'authentication' | 'activity' | 'telephony'): Promise<Crawled> {
  const now = clock.now();
  const out: Crawled = { ids: [], times: [], groupsSeen: [] };
  let cursor: string | null = null;
  do {
    const params: Record<string, string> = { mintime: String(now - 11 * DAY), maxtime: String(now), sort: 'ts:asc', limit: '1000' };
    if (cursor) params.next_offset = cursor;
    const page = logPage.parse(await get(`/admin/v2/logs/${kind}`, params));
    for (const event of page.response.authlogs ?? []) {
      out.ids.push(event.txid);
      out.times.push(Date.parse(event.isotimestamp));
      out.groupsSeen.push({ ms: Date.parse(event.isotimestamp), groups: event.user.groups });
    }
    for (const item of page.response.items ?? []) {
      out.ids.push(item.activity_id ?? item.telephony_id ?? '');
      out.times.push(Date.parse(item.ts));
    }
    const next = page.response.metadata.next_offset;
    cursor = next === null ? null : Array.isArray(next) ? next.join(',') : next;
  } while (cursor);
  return out;
}

describe('truth', () => {
  it('matches a full crawl of users, groups and memberships', async () => {
    const [users, groups, truth] = await Promise.all([crawlUsers(), crawlGroups(), simulator.control.truth(account.integrationKey)]);
    expect(truth.users).toEqual({ count: 650, checksum: checksum(users.map((u) => u.user_id)) });
    expect(truth.groups).toEqual({ count: 12, checksum: checksum(groups.map((g) => g.group_id)) });
    const memberships = users.flatMap((u) => u.groups.map((g) => `${u.user_id}:${g.group_id}`));
    expect(truth.memberships).toEqual({ count: memberships.length, checksum: checksum(memberships) });
  });

  it.each([
    ['authentication', 'authEvents'],
    ['activity', 'activityEvents'],
    ['telephony', 'telephonyEvents'],
  ] as const)('matches a full crawl of the %s log', async (kind, field) => {
    const crawled = await crawlLog(kind);
    const truth = await simulator.control.truth(account.integrationKey);
    expect(truth[field]).toEqual({
      count: crawled.ids.length,
      checksum: checksum(crawled.ids),
      oldestMs: Math.min(...crawled.times),
      newestMs: Math.max(...crawled.times),
    });
  });

  it('matches a full crawl of the administrator log by row identity', async () => {
    const adminPage = z.object({ response: z.array(z.object({ timestamp: z.number(), action: z.string(), object: z.string(), username: z.string() })) });
    const lines = new Set<string>();
    let mintime = Math.floor((clock.now() - 11 * DAY) / 1000);
    for (;;) {
      const page = adminPage.parse(await get('/admin/v1/logs/administrator', { mintime: String(mintime) }));
      for (const row of page.response) lines.add(`${row.timestamp}|${row.action}|${row.object}|${row.username}`);
      if (page.response.length < 1000) break;
      mintime = page.response[page.response.length - 1]?.timestamp ?? mintime;
    }
    const truth = await simulator.control.truth(account.integrationKey);
    expect(truth.adminEvents.count).toBe(lines.size);
    expect(truth.adminEvents.checksum).toBe(checksum([...lines]));
  });

  it('streams the sorted txids of a window, equal to a newest-first crawl of it', async () => {
    const now = clock.now();
    const window = { mintime: now - 6 * DAY, maxtime: now - DAY };
    const streamed = await simulator.control.authTxids(account.integrationKey, window);
    const crawled = await crawlWindow(window.mintime, window.maxtime);
    expect(streamed.length).toBeGreaterThan(1000);
    expect(streamed).toEqual([...crawled].sort());
  });

  it('lists the roster with group ids, equal to the users endpoint', async () => {
    const [users, roster] = await Promise.all([crawlUsers(), simulator.control.roster(account.integrationKey)]);
    expect(roster.users.map((u) => [u.user_id, u.status, u.group_ids])).toEqual(users.map((u) => [u.user_id, u.status, u.groups.map((g) => g.group_id)]));
    expect(roster.groups).toHaveLength(12);
  });

  it('follows a deleted user, in the users endpoint and in truth', async () => {
    const before = await simulator.control.roster(account.integrationKey);
    const victim = before.users[10]?.user_id ?? '';
    await simulator.control.deleteUser(account.integrationKey, victim);
    const users = await crawlUsers();
    expect(users.map((u) => u.user_id)).not.toContain(victim);
    const truth = await simulator.control.truth(account.integrationKey);
    expect(truth.users).toEqual({ count: 649, checksum: checksum(users.map((u) => u.user_id)) });
  });

  it('follows a status change', async () => {
    const userId = (await simulator.control.roster(account.integrationKey)).users[3]?.user_id ?? '';
    await simulator.control.setUserStatus(account.integrationKey, userId, 'locked out');
    const users = await crawlUsers();
    expect(users.find((u) => u.user_id === userId)?.status).toBe('locked out');
  });

  it('renames a group in lists, and in events only from the rename on', async () => {
    const groupId = (await crawlGroups())[0]?.group_id ?? '';
    const oldName = (await crawlGroups())[0]?.name ?? '';
    const renamedAt = clock.now();
    await simulator.control.renameGroup(account.integrationKey, groupId, 'Renamed Group');
    expect((await crawlGroups())[0]?.name).toBe('Renamed Group');
    expect((await crawlUsers()).some((u) => u.groups.some((g) => g.group_id === groupId && g.name === 'Renamed Group'))).toBe(true);
    clock.advance(30 * 60_000);
    const events = (await crawlLog('authentication')).groupsSeen;
    expect(events.some((e) => e.ms < renamedAt && e.groups.includes(oldName))).toBe(true);
    expect(events.some((e) => e.ms >= renamedAt && e.groups.includes('Renamed Group'))).toBe(true);
    expect(events.some((e) => e.ms >= renamedAt && e.groups.includes(oldName))).toBe(false);
  });
});

async function crawlWindow(mintime: number, maxtime: number): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const params: Record<string, string> = { mintime: String(mintime), maxtime: String(maxtime), sort: 'ts:desc', limit: '1000' };
    if (cursor) params.next_offset = cursor;
    const page = logPage.parse(await get('/admin/v2/logs/authentication', params));
    for (const event of page.response.authlogs ?? []) ids.push(event.txid);
    const next = page.response.metadata.next_offset;
    cursor = Array.isArray(next) ? next.join(',') : null;
  } while (cursor);
  return ids;
}
