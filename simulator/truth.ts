import { createHash, type Hash } from 'node:crypto';
import type { SimAccount } from './account.js';
import { countEvents, forEachEvent, logView, walkVisible, type LogView, type Publication } from './log-view.js';
import type { Roster } from './roster.js';

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

/** Events of the window Duo has not published at `at`, and when the last of them comes out. */
export interface PendingDigest extends EventDigest {
  lastPublishedMs: number | null;
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
  /** Authentication events of the window published late, after `at`; with authEvents, what the window eventually holds. */
  lateAuthEvents: PendingDigest;
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
 * The ids of the view's events in `publication` in ascending string order, memory-bounded: ids
 * sort like their 48-bit prefixes, so each pass collects the prefixes of one slice of that space,
 * sorts the numbers and rebuilds the ids from them.
 */
export function* sortedEventIds(view: LogView, publication: Publication = 'visible', passCapacity = PASS_CAPACITY): Generator<string> {
  const timeline = view.timeline;
  const total = countEvents(view, publication);
  if (total === 0) return;
  const passes = Math.ceil(total / passCapacity);
  let keys = new Float64Array(Math.min(total, Math.ceil((total / passes) * 1.2) + 1024));
  for (let pass = 0; pass < passes; pass++) {
    const from = Math.floor((PREFIX_SPACE * pass) / passes);
    const to = pass === passes - 1 ? PREFIX_SPACE : Math.floor((PREFIX_SPACE * (pass + 1)) / passes);
    let n = 0;
    forEachEvent(view, publication, (bucket, index) => {
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

function edgeTimes(view: LogView): { oldestMs: number | null; newestMs: number | null } {
  const oldest = walkVisible(view, 'asc').next();
  const newest = walkVisible(view, 'desc').next();
  return { oldestMs: oldest.done ? null : oldest.value.ts, newestMs: newest.done ? null : newest.value.ts };
}

/** The visible events of a view. */
export function eventTruth(view: LogView): EventDigest {
  const digest = new LineDigest();
  for (const id of sortedEventIds(view)) digest.add(id);
  return { ...digest.digest(), ...edgeTimes(view) };
}

/** The view's events that Duo publishes after its instant. */
export function pendingTruth(view: LogView): PendingDigest {
  const digest = new LineDigest();
  for (const id of sortedEventIds(view, 'pending')) digest.add(id);
  let oldestMs: number | null = null;
  let newestMs: number | null = null;
  let lastPublishedMs: number | null = null;
  const { late, timeline } = view;
  if (late) {
    forEachEvent(view, 'pending', (bucket, index) => {
      const ts = timeline.tsOf(bucket, index);
      const published = late.publishedAtMs(timeline, bucket, index);
      oldestMs = oldestMs === null ? ts : Math.min(oldestMs, ts);
      newestMs = newestMs === null ? ts : Math.max(newestMs, ts);
      lastPublishedMs = lastPublishedMs === null ? published : Math.max(lastPublishedMs, published);
    });
  }
  return { ...digest.digest(), oldestMs, newestMs, lastPublishedMs };
}

/** Administrator rows have no id: their line is `timestamp|action|object|username`. */
export function adminTruth(account: SimAccount, view: LogView): EventDigest {
  const lines: string[] = [];
  let oldestMs: number | null = null;
  let newestMs: number | null = null;
  for (const key of walkVisible(view, 'asc')) {
    const row = account.adminLog.rowFor(key);
    lines.push(row.identity);
    const secondMs = Math.floor(key.ts / 1000) * 1000;
    oldestMs ??= secondMs;
    newestMs = secondMs;
  }
  return { ...digestSorted(lines), oldestMs, newestMs };
}

export function accountTruth(account: SimAccount, atMs: number, minMs = 0, maxMs = Number.MAX_SAFE_INTEGER): AccountTruth {
  const view = (kind: 'auth' | 'telephony' | 'activity' | 'admin'): LogView => logView(account, kind, atMs, minMs, maxMs);
  const auth = view('auth');
  return {
    at: atMs,
    window: { mintime: auth.loMs, maxtime: auth.hiMs },
    ...rosterTruth(account.dataset.roster),
    authEvents: eventTruth(auth),
    telephonyEvents: eventTruth(view('telephony')),
    activityEvents: eventTruth(view('activity')),
    adminEvents: adminTruth(account, view('admin')),
    lateAuthEvents: pendingTruth(auth),
  };
}
