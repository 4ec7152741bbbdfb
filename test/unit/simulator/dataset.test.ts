import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDataset } from '../../../simulator/dataset.js';
import { buildAuthEvent } from '../../../simulator/events/auth.js';
import { userStatuses } from '../../../simulator/roster.js';

const ANCHOR = Date.UTC(2026, 4, 10, 9, 30);
const DAY = 86_400_000;
const spec = { seed: 2024, users: 2000, groups: 15, authEvents: 40_000, days: 14, idleUserShare: 0.2, anchorMs: ANCHOR };

describe('createDataset', () => {
  const data = createDataset(spec, 0);
  const roster = data.roster;
  const users = Array.from({ length: roster.userTotal }, (_, i) => roster.userJson(i));

  it('mixes every Duo user status, mostly active', () => {
    const counts = new Map<unknown, number>();
    for (const user of users) counts.set(user.status, (counts.get(user.status) ?? 0) + 1);
    for (const status of userStatuses) expect(counts.get(status) ?? 0).toBeGreaterThan(0);
    expect(counts.get('active') ?? 0).toBeGreaterThan(users.length * 0.8);
  });

  it('gives users unique ids and usernames', () => {
    expect(new Set(users.map((u) => u.user_id)).size).toBe(users.length);
    expect(new Set(users.map((u) => u.username)).size).toBe(users.length);
  });

  it('embeds the groups each user belongs to', () => {
    const member = users.find((u) => Array.isArray(u.groups) && u.groups.length > 0);
    expect(member?.groups).toEqual(expect.arrayContaining([expect.objectContaining({ group_id: expect.stringMatching(/^DG/), name: expect.any(String) })]));
  });

  it('keeps idle users out of the logs, and gives some of them an old last_login', () => {
    const idle = new Set(users.filter((_, i) => roster.isIdle(i)).map((u) => u.user_id));
    expect(idle.size).toBeGreaterThan(spec.users * 0.15);
    const timeline = data.timelines.auth;
    for (const key of timeline.walk(ANCHOR - 2 * DAY, ANCHOR, 'asc')) {
      const user = z.object({ key: z.string() }).parse(buildAuthEvent(data, key).user);
      expect(idle.has(user.key)).toBe(false);
    }
    const windowStartSec = (ANCHOR - spec.days * DAY) / 1000;
    const idleUsers = users.filter((u) => idle.has(String(u.user_id)));
    expect(idleUsers.some((u) => u.last_login === null)).toBe(true);
    expect(idleUsers.some((u) => typeof u.last_login === 'number' && u.last_login < windowStartSec)).toBe(true);
  });

  it('gives active users a last_login inside the generated window', () => {
    const windowStartSec = (ANCHOR - spec.days * DAY) / 1000;
    for (let i = 0; i < users.length; i++) {
      if (roster.isIdle(i)) continue;
      expect(users[i]?.last_login).toBeGreaterThanOrEqual(windowStartSec);
      expect(users[i]?.last_login).toBeLessThan(ANCHOR / 1000);
    }
  });

  it('is the same for the same seed whatever the clock, when the anchor is pinned', () => {
    const again = createDataset(spec, 123);
    expect(again.roster.userJson(17)).toEqual(roster.userJson(17));
    const key = [...data.timelines.auth.walk(ANCHOR - DAY, ANCHOR, 'asc')][5];
    if (!key) throw new Error('expected events');
    expect(buildAuthEvent(again, key)).toEqual(buildAuthEvent(data, key));
  });

  it('has no log events when every user is idle', () => {
    const empty = createDataset({ ...spec, idleUserShare: 1 }, 0);
    expect(empty.timelines.auth.countRange(0, ANCHOR * 2)).toBe(0);
  });
});
