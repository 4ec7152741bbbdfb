import type { Dataset } from '../dataset.js';
import { hash4, Rng } from '../prng.js';
import type { EventKey } from '../timeline.js';
import { adminActions, adminNames } from '../vocabulary.js';
import { eventUserIndex } from './auth.js';
import { isoSeconds, pickPlace, publicIp, pythonJson } from './shared.js';

export interface AdminRow {
  key: EventKey;
  row: Record<string, unknown>;
  /** `timestamp|action|object|username`: unique within the account (see docs/SIMULATOR.md). */
  identity: string;
}

const MAX_CACHED_ROWS = 10_000;
const MAX_ATTEMPTS = 8;

/**
 * Administrator log rows. They carry no id, so consumers dedupe on the row itself; generation
 * therefore redraws a row whose (timestamp, action, object, username) repeats one earlier in the
 * same minute. Rows in different minutes differ by timestamp, so identities are account-unique
 * while same-second neighbours still occur (as they do at Duo).
 */
export class AdminLog {
  private readonly cache = new Map<number, AdminRow[]>();
  private cachedRows = 0;

  constructor(private readonly data: Dataset) {}

  rowsInBucket(bucket: number): AdminRow[] {
    const cached = this.cache.get(bucket);
    if (cached) return cached;
    const seen = new Set<string>();
    const rows = this.data.timelines.admin.bucketKeys(bucket).map((key) => {
      for (let attempt = 0; ; attempt++) {
        const candidate = this.generate(key, attempt);
        if (!seen.has(candidate.identity)) {
          seen.add(candidate.identity);
          return candidate;
        }
      }
    });
    while (this.cache.size > 0 && this.cachedRows + rows.length > MAX_CACHED_ROWS) {
      const oldest = this.cache.entries().next();
      if (oldest.done) break;
      this.cache.delete(oldest.value[0]);
      this.cachedRows -= oldest.value[1].length;
    }
    this.cache.set(bucket, rows);
    this.cachedRows += rows.length;
    return rows;
  }

  rowFor(key: EventKey): AdminRow {
    const row = this.rowsInBucket(key.bucket).find((r) => r.key.index === key.index);
    if (!row) throw new Error(`no administrator row for bucket ${key.bucket} index ${key.index}`);
    return row;
  }

  private generate(key: EventKey, attempt: number): AdminRow {
    const roster = this.data.roster;
    const rng = new Rng(hash4(this.data.timelines.admin.key ^ 0x61646d, key.bucket, key.index, attempt));
    const action = rng.pick(adminActions);
    const username = rng.pick(adminNames);
    const user = roster.userCore(eventUserIndex(this.data, rng));
    let object: string;
    let description: string | null;
    if (action.startsWith('user_') || action === 'activation_begin') {
      object = user.username;
      description = pythonJson({ email: user.email, realname: user.username, status: 'active' });
    } else if (action.startsWith('group_')) {
      object = roster.groupTotal > 0 ? roster.groupName(rng.int(roster.groupTotal), key.ts) : 'Everyone';
      description = pythonJson({ desc: '', push_enabled: true });
    } else if (action.startsWith('phone_')) {
      object = `+1734555${String(rng.int(10_000)).padStart(4, '0')}`;
      description = pythonJson({ platform: 'Apple iOS', type: 'Mobile' });
    } else if (action.startsWith('integration_')) {
      object = rng.pick(this.data.applications).name;
      description = null;
    } else if (action === 'customer_update') {
      object = 'Acme Corp';
      description = pythonJson({ helpdesk_bypass: 'allow' });
    } else {
      object = username;
      description = pythonJson({ ip_address: publicIp(rng, pickPlace(rng)), factor: 'push', primary_auth_method: 'Password' });
    }
    if (attempt >= MAX_ATTEMPTS) object = `${object} (${key.index})`;
    const timestamp = Math.floor(key.ts / 1000);
    return {
      key,
      row: { action, description, isotimestamp: isoSeconds(key.ts), object, timestamp, username },
      identity: `${timestamp}|${action}|${object}|${username}`,
    };
  }
}
