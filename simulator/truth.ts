import { createHash, type Hash } from 'node:crypto';
import type { SimAccount } from './account.js';
import type { Roster } from './roster.js';
import { visibleRange, type Timeline } from './timeline.js';

/**
 * What Duo holds for an account, summarised so a test can compute the same numbers over Postgres
 * rows. Every checksum is the SHA-256 (lower-case hex) of the UTF-8 text made of the sorted lines
 * joined by "\n" (no trailing newline; the empty set hashes ""). docs/SIMULATOR.md defines each line.
 */
export interface SetDigest {
  count: number;
  checksum: string;
}

export interface EventDigest extends SetDigest {
  oldestMs: number | null;
  newestMs: number | null;
}

export interface AccountTruth {
  at: number;
  /** The event window the digests cover: the request's [mintime, maxtime] cut to what Duo shows at `at`. */
  window: { mintime: number; maxtime: number };
  users: SetDigest;
  groups: SetDigest;
  memberships: SetDigest;
  authEvents: EventDigest;
  telephonyEvents: EventDigest;
  activityEvents: EventDigest;
  adminEvents: EventDigest;
}

/** Streams sorted lines into a SHA-256 without keeping them. */
export class LineDigest {
  private readonly hash: Hash = createHash('sha256');
  private readonly pending: string[] = [];
  private started = false;
  count = 0;

  add(line: string): void {
    this.pending.push(line);
    this.count++;
    if (this.pending.length >= 4096) this.flush();
  }

  digest(): SetDigest {
    this.flush();
    return { count: this.count, checksum: this.hash.digest('hex') };
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('\n');
    this.hash.update(this.started ? `\n${chunk}` : chunk, 'utf8');
    this.started = true;
    this.pending.length = 0;
  }
}

export function digestSorted(lines: string[]): SetDigest {
  lines.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const digest = new LineDigest();
  for (const line of lines) digest.add(line);
  return digest.digest();
}

export function rosterTruth(roster: Roster): Pick<AccountTruth, 'users' | 'groups' | 'memberships'> {
  const users: string[] = [];
  const memberships: string[] = [];
  const groupIds: string[] = [];
  for (let j = 0; j < roster.groupTotal; j++) groupIds.push(roster.groupId(j));
  for (let i = 0; i < roster.userTotal; i++) {
    if (roster.isDeleted(i)) continue;
    const userId = roster.userId(i);
    users.push(userId);
    for (const g of roster.groupIndexesOf(i)) memberships.push(`${userId}:${groupIds[g] ?? ''}`);
  }
  return { users: digestSorted(users), groups: digestSorted(groupIds), memberships: digestSorted(memberships) };
}

/** Sort keys held per pass: 8 bytes each, so one pass stays near 32 MB however big the log is. */
const PASS_CAPACITY = 4_000_000;
const PREFIX_SPACE = 2 ** 48;

/**
 * The ids of the events in [loMs, hiMs] in ascending string order, memory-bounded: ids sort like
 * their 48-bit prefixes, so each pass collects the prefixes of one slice of that space, sorts the
 * numbers and rebuilds the ids from them.
 */
export function* sortedEventIds(timeline: Timeline, loMs: number, hiMs: number, passCapacity = PASS_CAPACITY): Generator<string> {
  const total = timeline.countRange(loMs, hiMs);
  if (total === 0) return;
  const passes = Math.ceil(total / passCapacity);
  let keys = new Float64Array(Math.min(total, Math.ceil((total / passes) * 1.2) + 1024));
  for (let pass = 0; pass < passes; pass++) {
    const from = Math.floor((PREFIX_SPACE * pass) / passes);
    const to = pass === passes - 1 ? PREFIX_SPACE : Math.floor((PREFIX_SPACE * (pass + 1)) / passes);
    let n = 0;
    timeline.forEachInRange(loMs, hiMs, (bucket, index) => {
      const prefix = timeline.prefixOf(bucket, index);
      if (prefix < from || prefix >= to) return;
      if (n === keys.length) {
        const grown = new Float64Array(Math.ceil(keys.length * 1.5));
        grown.set(keys);
        keys = grown;
      }
      keys[n++] = prefix;
    });
    const sorted = keys.subarray(0, n).sort();
    for (let k = 0; k < n; k++) yield timeline.eventIdFromPrefix(sorted[k] ?? 0);
  }
}

function edgeTimes(timeline: Timeline, loMs: number, hiMs: number): { oldestMs: number | null; newestMs: number | null } {
  const oldest = timeline.walk(loMs, hiMs, 'asc').next();
  const newest = timeline.walk(loMs, hiMs, 'desc').next();
  return { oldestMs: oldest.done ? null : oldest.value.ts, newestMs: newest.done ? null : newest.value.ts };
}

export function eventTruth(timeline: Timeline, loMs: number, hiMs: number): EventDigest {
  const digest = new LineDigest();
  for (const id of sortedEventIds(timeline, loMs, hiMs)) digest.add(id);
  return { ...digest.digest(), ...edgeTimes(timeline, loMs, hiMs) };
}

/** Administrator rows have no id: their line is `timestamp|action|object|username`. */
export function adminTruth(account: SimAccount, loMs: number, hiMs: number): EventDigest {
  const timeline = account.dataset.timelines.admin;
  const lines: string[] = [];
  let oldestMs: number | null = null;
  let newestMs: number | null = null;
  for (const key of timeline.walk(loMs, hiMs, 'asc')) {
    const row = account.adminLog.rowFor(key);
    lines.push(row.identity);
    const secondMs = Math.floor(key.ts / 1000) * 1000;
    oldestMs ??= secondMs;
    newestMs = secondMs;
  }
  return { ...digestSorted(lines), oldestMs, newestMs };
}

export function accountTruth(account: SimAccount, atMs: number, minMs = 0, maxMs = Number.MAX_SAFE_INTEGER): AccountTruth {
  const { loMs, hiMs } = visibleRange(atMs, minMs, maxMs);
  const timelines = account.dataset.timelines;
  return {
    at: atMs,
    window: { mintime: loMs, maxtime: hiMs },
    ...rosterTruth(account.dataset.roster),
    authEvents: eventTruth(timelines.auth, loMs, hiMs),
    telephonyEvents: eventTruth(timelines.telephony, loMs, hiMs),
    activityEvents: eventTruth(timelines.activity, loMs, hiMs),
    adminEvents: adminTruth(account, loMs, hiMs),
  };
}
