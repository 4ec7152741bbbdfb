import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userListSchema, type userUsageSchema } from '../../api/schemas/usage.js';
import type { z } from 'zod';
import { createTestApi, type TestApi } from '../helpers/api.js';
import { upsertUsers } from '../../db/roster.js';
import { connectUsageTenant, DAY_MS, seedOtherTenant, seedUsageScenario, userRecord } from '../helpers/usage-tenant.js';

// GET /v1/tenants/:tenantId/duo/users through the whole app, on the scenario of
// test/helpers/usage-tenant.ts (seeded by the sync's own write functions).

let api: TestApi;
const tenant = 'acme';
const nowMs = Date.now();

beforeAll(async () => {
  // The usage API never calls Duo: any origin will do.
  api = await createTestApi({ duoOrigin: 'http://127.0.0.1:9' });
  await seedUsageScenario(api.database.db, tenant, nowMs);
  await seedOtherTenant(api.database.db, 'globex', nowMs);
});

afterAll(async () => {
  await api?.close();
});

type UserUsage = z.infer<typeof userUsageSchema>;

async function list(query = '', tenantId = tenant) {
  const response = await api.app.inject({ method: 'GET', url: `/v1/tenants/${tenantId}/duo/users${query ? `?${query}` : ''}`, headers: api.auth });
  expect(response.statusCode, response.body).toBe(200);
  return userListSchema.parse(response.json());
}

const usernames = (users: UserUsage[]) => users.map((u) => u.username);

describe('GET /duo/users filters', () => {
  it('lists the current roster by username, without deleted users or users known only from events', async () => {
    const page = await list();
    expect(usernames(page.users)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'grace', 'heidi', 'ivan', 'judy']);
    expect(page.total).toBe(9);
    expect(page.nextCursor).toBeNull();
  });

  it('matches any of several statuses, in Duo spelling or with underscores', async () => {
    expect(usernames((await list('status=disabled&status=locked%20out')).users)).toEqual(['dave', 'erin']);
    expect(usernames((await list('status=LOCKED_OUT')).users)).toEqual(['erin']);
  });

  it('matches groups by id or case-insensitive name, any of several', async () => {
    expect(usernames((await list('group=DGENG')).users)).toEqual(['alice', 'bob', 'dave']);
    expect(usernames((await list('group=sales')).users)).toEqual(['bob', 'carol', 'heidi']);
    expect(usernames((await list('group=Engineering&group=DGSALES')).users)).toEqual(['alice', 'bob', 'carol', 'dave', 'heidi']);
  });

  it('combines status, group and inactivity with AND', async () => {
    expect(usernames((await list('status=active&group=Engineering&inactiveForDays=30')).users)).toEqual(['bob']);
    expect(usernames((await list('status=active&group=Sales&inactiveForDays=30')).users)).toEqual(['bob', 'heidi']);
    expect(usernames((await list('status=active&status=disabled&group=Engineering&activeWithinDays=30')).users)).toEqual(['alice', 'dave']);
  });

  it('counts a user active from Duo last_login alone, with no events held', async () => {
    const [carol] = (await list('search=carol')).users;
    expect(carol?.lastActivityAt).toBe(carol?.lastLogin);
    expect(carol?.authCounts).toEqual({ d30: 0, d60: 0, d90: 0 });
    expect(carol?.applications30d).toBe(0);
    expect(usernames((await list('activeWithinDays=30')).users)).toContain('carol');
  });

  it('counts a disabled user with a recent success as active', async () => {
    const page = await list('status=disabled&activeWithinDays=7');
    expect(usernames(page.users)).toEqual(['dave']);
    expect(page.users[0]?.authCounts.d30).toBe(1);
  });

  it('treats users that never authenticated as inactive for any number of days', async () => {
    expect(usernames((await list('inactiveForDays=3650')).users)).toEqual(['erin', 'grace']);
    const [grace] = (await list('search=grace')).users;
    expect(grace).toMatchObject({ lastLogin: null, lastActivityAt: null, authCounts: { d30: 0, d60: 0, d90: 0 }, applications30d: 0 });
  });

  it('does not count a denied authentication as activity, but counts it as an attempt', async () => {
    const [erin] = (await list('search=erin')).users;
    expect(erin).toMatchObject({ status: 'locked out', lastActivityAt: null, authCounts: { d30: 1, d60: 1, d90: 1 }, applications30d: 1 });
  });

  it('reports authentication counts per window and distinct applications in 30 days', async () => {
    const [alice] = (await list('search=alice')).users;
    expect(alice).toMatchObject({ authCounts: { d30: 2, d60: 3, d90: 3 }, applications30d: 1 });
    expect(Date.parse(alice?.lastActivityAt ?? '')).toBe(nowMs - 5 * 86_400_000);
  });

  it('shows deleted users only with includeDeleted', async () => {
    expect(usernames((await list('group=Engineering&includeDeleted=true')).users)).toEqual(['alice', 'bob', 'dave', 'frank']);
    const frank = (await list('includeDeleted=true&search=frank')).users[0];
    expect(frank?.deletedAt).not.toBeNull();
    expect(frank?.authCounts.d30).toBe(1);
  });

  it('shows users known only from events only with includeEventOnly', async () => {
    const page = await list('includeEventOnly=true&activeWithinDays=2');
    expect(page.users.map((u) => [u.userId, u.inRoster, u.status])).toEqual([['DUGHOST', false, 'unknown']]);
  });

  it('finds a renamed group by its new name only, and shows the new name', async () => {
    expect(usernames((await list('group=Operations')).users)).toEqual(['erin', 'ivan']);
    expect((await list('group=Ops')).users).toEqual([]);
    expect((await list('search=ivan')).users[0]?.groups).toEqual([{ groupId: 'DGOPS', name: 'Operations' }]);
  });

  it('searches prefixes of username, real name and email, case-insensitively', async () => {
    expect(usernames((await list('search=BOB')).users)).toEqual(['bob']);
    expect(usernames((await list('search=alice%20arch')).users)).toEqual(['alice']);
    expect(usernames((await list('search=dave%40example')).users)).toEqual(['dave']);
    expect((await list('search=%25')).users).toEqual([]); // % is a character, not a wildcard
  });

  it('filters on enrolment', async () => {
    expect(usernames((await list('enrolled=false')).users)).toEqual(['grace']);
  });

  it('lists reclaim candidates with the query the usage summary suggests', async () => {
    expect(usernames((await list('status=active&inactiveForDays=90&createdMoreThanDaysAgo=60')).users)).toEqual(['bob', 'heidi']);
  });

  it('answers 404 for a tenant without a Duo integration', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/v1/tenants/nobody/duo/users', headers: api.auth });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'tenant_not_found' } });
  });
});

describe('GET /duo/users keyset pagination', () => {
  const everyone = 'includeDeleted=true&includeEventOnly=true';

  async function walk(query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.users.length).toBeLessThanOrEqual(limit);
      ids.push(...page.users.map((u) => u.userId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    return { ids, pages };
  }

  it.each([
    ['sort=username&order=asc'],
    ['sort=username&order=desc'],
    ['sort=lastActivityAt&order=asc'],
    ['sort=lastActivityAt&order=desc'],
  ])('visits every user exactly once with %s', async (sort) => {
    const all = await list(`${everyone}&${sort}&limit=500`);
    expect(all.total).toBe(11);
    for (const limit of [1, 2, 3, 4]) {
      const { ids, pages } = await walk(`${everyone}&${sort}`, limit);
      expect(ids).toEqual(all.users.map((u) => u.userId));
      expect(new Set(ids).size).toBe(11);
      expect(pages).toBe(Math.ceil(11 / limit));
    }
  });

  it('orders by last activity with never-active users oldest, ties broken by user id', async () => {
    const asc = (await list(`${everyone}&sort=lastActivityAt`)).users;
    expect(asc.slice(0, 2).map((u) => u.userId)).toEqual(['DUERIN', 'DUGRACE']);
    const times = asc.slice(2).map((u) => Date.parse(u.lastActivityAt ?? ''));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const desc = (await list(`${everyone}&sort=lastActivityAt&order=desc`)).users;
    expect(desc.map((u) => u.userId)).toEqual(asc.map((u) => u.userId).reverse());
  });

  it('keeps the total of the whole listing on every page', async () => {
    const first = await list('status=active&limit=2');
    const second = await list(`status=active&limit=2&cursor=${first.nextCursor}`);
    expect([first.total, second.total]).toEqual([5, 5]);
  });
});

describe('GET /duo/users as CSV', () => {
  /** RFC 4180 parsing, enough for our own output: quoted cells, doubled quotes, CRLF rows. */
  function parseCsv(text: string): string[][] {
    const rows: string[][] = [];
    let row: string[] = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') {
          cell += '"';
          i++;
        } else if (c === '"') quoted = false;
        else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') {
        row.push(cell);
        cell = '';
      } else if (c === '\r' && text[i + 1] === '\n') {
        row.push(cell);
        rows.push(row);
        row = [];
        cell = '';
        i++;
      } else cell += c;
    }
    return rows;
  }

  const asCells = (u: UserUsage) => [
    u.userId,
    u.username,
    u.realname ?? '',
    u.email ?? '',
    u.status,
    u.groups.map((g) => g.name).join('; '),
    u.groups.map((g) => g.groupId).join('; '),
    String(u.enrolled),
    String(u.inRoster),
    u.createdAt ?? '',
    u.lastLogin ?? '',
    u.lastActivityAt ?? '',
    String(u.authCounts.d30),
    String(u.authCounts.d60),
    String(u.authCounts.d90),
    String(u.applications30d),
    u.deletedAt ?? '',
  ];

  async function csv(query: string) {
    const response = await api.app.inject({
      method: 'GET',
      url: `/v1/tenants/${tenant}/duo/users?${query}`,
      headers: { ...api.auth, accept: 'text/csv' },
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv/);
    return parseCsv(response.body);
  }

  it('returns the same rows as JSON, every page of them, after a header row', async () => {
    const query = 'includeDeleted=true&includeEventOnly=true&sort=lastActivityAt&order=desc';
    const json = await list(`${query}&limit=500`);
    const rows = await csv(query);
    expect(rows[0]?.[0]).toBe('userId');
    expect(rows.slice(1)).toEqual(json.users.map(asCells));
  });

  it('applies the same filters and honours limit and cursor', async () => {
    const first = await list('status=active&limit=2');
    const rows = await csv(`status=active&limit=2&cursor=${first.nextCursor}`);
    const second = await list(`status=active&limit=2&cursor=${first.nextCursor}`);
    expect(rows.slice(1)).toEqual(second.users.map(asCells));
  });

  it('quotes commas and quotes, and defuses cells a spreadsheet would run as formulas', async () => {
    await connectUsageTenant(api.database.db, 'csvco', { anchorAt: new Date(nowMs), backfillStartAt: new Date(nowMs - 179 * DAY_MS) });
    await upsertUsers(
      api.database.db,
      'csvco',
      [userRecord('DUCSV1', '=HYPERLINK("http://x")', { realname: 'Smith, "Jo"\nJr', email: '@evil' })],
      new Date(nowMs),
    );
    const response = await api.app.inject({ method: 'GET', url: '/v1/tenants/csvco/duo/users', headers: { ...api.auth, accept: 'text/csv' } });
    const [row] = parseCsv(response.body).slice(1);
    expect(row?.slice(0, 4)).toEqual(['DUCSV1', `'=HYPERLINK("http://x")`, 'Smith, "Jo"\nJr', "'@evil"]);
  });

  it('keeps JSON for wildcard Accept headers', async () => {
    const response = await api.app.inject({ method: 'GET', url: `/v1/tenants/${tenant}/duo/users`, headers: { ...api.auth, accept: '*/*' } });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
  });
});
