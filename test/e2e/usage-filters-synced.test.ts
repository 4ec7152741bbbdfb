import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userListSchema } from '../../api/schemas/usage.js';
import { makeAccount } from '../../simulator/account-builder.js';
import type { RosterEntry } from '../../simulator/control-client.js';
import { duoGetJson } from '../helpers/simulator.js';
import { startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';

// The usage filters over data that went simulator → HTTP → Duo client → Temporal workflow → worker
// activities → Postgres (nothing seeded), each answer compared with what the simulator holds.

const DAY = 86_400_000;

describe('usage filters over a synced tenant, against the simulator', () => {
  // Every event at least 30 minutes old: all of them lie before the sync's anchor, so the initial
  // sync alone stores the whole history and the truth is exactly what Duo serves.
  const account = makeAccount({ dataset: { seed: 5150, users: 60, groups: 5, authEvents: 3000, days: 20, anchorMs: Date.now() - 30 * 60_000 } });
  const tenantId = 'filters-synced';
  let harness: SyncHarness;
  let roster: RosterEntry[];
  let groups: { group_id: string; name: string }[];
  /** The newest successful authentication Duo served, per user id. */
  const lastSuccess = new Map<string, number>();

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [account] });
    expect((await harness.connect(tenantId, account)).statusCode).toBe(202);
    await harness.waitForInitialSync(tenantId);
    ({ users: roster, groups } = await harness.simulator.control.roster(account.integrationKey));

    const now = Date.now();
    const window = { mintime: String(now - 179 * DAY), maxtime: String(now - 3 * 60_000), limit: '1000', sort: 'ts:asc' };
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const { status, body } = await duoGetJson(harness.simulator.origin, account, '/admin/v2/logs/authentication', { ...window, ...(cursor ? { next_offset: cursor } : {}) });
      expect(status).toBe(200);
      const { authlogs, metadata } = (body as { response: { authlogs: Array<{ result: string; timestamp: number; user: { key: string } }>; metadata?: { next_offset?: [string, string] | null } } }).response;
      for (const event of authlogs) {
        if (event.result !== 'success') continue;
        lastSuccess.set(event.user.key, Math.max(lastSuccess.get(event.user.key) ?? 0, event.timestamp * 1000));
      }
      cursor = metadata?.next_offset ? metadata.next_offset.join(',') : null;
    }
  }, 240_000);

  afterAll(async () => {
    await harness?.close();
  });

  /** Every user id the users route lists for `query`, all pages. */
  async function listed(query: string): Promise<string[]> {
    const ids: string[] = [];
    for (let cursor: string | null = null, first = true; first || cursor; first = false) {
      const response = await harness.api.app.inject({
        method: 'GET',
        url: `/v1/tenants/${tenantId}/duo/users?limit=500${query ? `&${query}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        headers: harness.api.auth,
      });
      expect(response.statusCode, response.body).toBe(200);
      const page = userListSchema.parse(response.json());
      ids.push(...page.users.map((user) => user.userId));
      cursor = page.nextCursor;
    }
    return ids.sort();
  }

  const idsOf = (users: RosterEntry[]) => users.map((user) => user.user_id).sort();

  it('lists exactly the users Duo lists when no filter is given', async () => {
    expect(roster.length).toBeGreaterThan(40);
    expect(await listed('')).toEqual(idsOf(roster));
  });

  it('filters by group id and by group name to the members Duo records', async () => {
    const checked = groups.filter((group) => roster.some((user) => user.group_ids.includes(group.group_id)));
    expect(checked.length).toBeGreaterThanOrEqual(2);
    for (const group of checked) {
      const members = idsOf(roster.filter((user) => user.group_ids.includes(group.group_id)));
      expect(members.length).toBeLessThan(roster.length); // the filter has something to leave out
      expect(await listed(`group=${encodeURIComponent(group.group_id)}`), group.group_id).toEqual(members);
      expect(await listed(`group=${encodeURIComponent(group.name.toUpperCase())}`), group.name).toEqual(members);
    }
  });

  it('filters by each Duo status present, and by several at once', async () => {
    const statuses = [...new Set(roster.map((user) => user.status))];
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    for (const status of statuses) {
      const expected = idsOf(roster.filter((user) => user.status === status));
      expect(await listed(`status=${encodeURIComponent(status.replace(' ', '_'))}`), status).toEqual(expected);
    }
    const [first, second] = statuses as [string, string];
    const either = idsOf(roster.filter((user) => user.status === first || user.status === second));
    expect(await listed(`status=${encodeURIComponent(first)}&status=${encodeURIComponent(second)}`)).toEqual(either);
  });

  it('filters by days without a successful authentication or Duo login, never-active users included', async () => {
    const lastActivity = (user: RosterEntry) => Math.max(lastSuccess.get(user.user_id) ?? -Infinity, user.last_login === null ? -Infinity : user.last_login * 1000);
    let checkedSplit = false;
    for (const days of [1, 3, 7, 15]) {
      const since = Date.now() - days * DAY;
      const expected = idsOf(roster.filter((user) => lastActivity(user) < since));
      // Both sides non-empty for at least one threshold: the filter is seen to keep and to drop.
      if (expected.length > 0 && expected.length < roster.length) checkedSplit = true;
      expect(await listed(`inactiveForDays=${days}`), `inactiveForDays=${days}`).toEqual(expected);
    }
    expect(checkedSplit).toBe(true);
  });

  it('searches by a case-insensitive prefix of the username or email', async () => {
    const target = roster[Math.floor(roster.length / 2)] as RosterEntry;
    const prefix = target.username.slice(0, Math.max(3, target.username.length - 2));
    const matches = (value: string | null) => value !== null && value.toLowerCase().startsWith(prefix.toLowerCase());
    const expected = idsOf(roster.filter((user) => matches(user.username) || matches(user.email)));
    expect(expected).toContain(target.user_id);
    expect(await listed(`search=${encodeURIComponent(prefix.toUpperCase())}`)).toEqual(expected);
  });

  it('combines group, status and inactivity as all of them at once', async () => {
    const group = groups.find((g) => roster.filter((user) => user.group_ids.includes(g.group_id)).length >= 5) ?? groups[0];
    const status = 'active';
    const since = Date.now() - 3 * DAY;
    const expected = idsOf(
      roster.filter(
        (user) =>
          user.group_ids.includes(group?.group_id ?? '') &&
          user.status === status &&
          Math.max(lastSuccess.get(user.user_id) ?? -Infinity, user.last_login === null ? -Infinity : user.last_login * 1000) < since,
      ),
    );
    expect(await listed(`group=${encodeURIComponent(group?.group_id ?? '')}&status=${status}&inactiveForDays=3`)).toEqual(expected);
  });
});
