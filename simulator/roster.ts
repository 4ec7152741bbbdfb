import { duoObjectId, randomDuoId } from './ids.js';
import { hash3, Rng, unit } from './prng.js';
import { domains, firstNames, groupNames, lastNames, phoneModels } from './vocabulary.js';

export const userStatuses = ['active', 'bypass', 'disabled', 'locked out', 'pending deletion'] as const;
export type UserStatus = (typeof userStatuses)[number];

const STATUS_WEIGHTS = [0.88, 0.03, 0.04, 0.03, 0.02];
const GROUP_COUNT_WEIGHTS = [0.15, 0.45, 0.3, 0.1];

const CORE_CACHE_SIZE = 20_000;
const SALT_USER = 0x5553;
const SALT_IDLE = 0x4944;
const SALT_MEMBERSHIP = 0x4d42;
const SALT_GROUP = 0x4752;
const SALT_USER_ID = 0x5549;
const SALT_GROUP_ID = 0x4749;

export interface RosterOptions {
  seed: number;
  users: number;
  groups: number;
  idleShare: number;
  anchorMs: number;
  days: number;
}

/** The parts of a user the event generators and truth need, without building the whole object. */
export interface UserCore {
  index: number;
  userId: string;
  username: string;
  email: string;
  idle: boolean;
}

interface Rename {
  atMs: number;
  name: string;
}

/**
 * Users and groups, each a pure function of (seed, index), plus the runtime mutations the control
 * API applies (deletions, status changes, group renames). Nothing per user is stored until mutated.
 */
export class Roster {
  readonly userTotal: number;
  readonly groupTotal: number;
  /** Indexes of users that may appear in logs (the others are idle). */
  readonly activeUserIndexes: Int32Array;
  private readonly deleted = new Set<number>();
  private readonly statusOverrides = new Map<number, UserStatus>();
  private readonly renames = new Map<number, Rename[]>();
  private liveIndexes: Int32Array | undefined;
  private userIdIndex: Map<string, number> | undefined;
  private groupIdIndex: Map<string, number> | undefined;
  private readonly coreCache = new Map<number, UserCore>();
  private readonly anchorSec: number;
  private readonly windowStartSec: number;

  constructor(private readonly options: RosterOptions) {
    this.userTotal = options.users;
    this.groupTotal = options.groups;
    this.anchorSec = Math.floor(options.anchorMs / 1000);
    this.windowStartSec = this.anchorSec - options.days * 86_400;
    const active: number[] = [];
    for (let i = 0; i < options.users; i++) if (!this.isIdle(i)) active.push(i);
    this.activeUserIndexes = Int32Array.from(active);
  }

  resetMutations(): void {
    this.deleted.clear();
    this.statusOverrides.clear();
    this.renames.clear();
    this.liveIndexes = undefined;
  }

  isIdle(index: number): boolean {
    return unit(hash3(this.options.seed, SALT_IDLE, index)) < this.options.idleShare;
  }

  userId(index: number): string {
    return duoObjectId('DU', hash3(this.options.seed, SALT_USER_ID, 0), index);
  }

  groupId(index: number): string {
    return duoObjectId('DG', hash3(this.options.seed, SALT_GROUP_ID, 0), index);
  }

  userCore(index: number): UserCore {
    const cached = this.coreCache.get(index);
    if (cached) return cached;
    const core = this.buildUserCore(index);
    // Events pick users over and over; a bounded cache keeps that cheap without growing with the roster.
    if (this.coreCache.size >= CORE_CACHE_SIZE) this.coreCache.clear();
    this.coreCache.set(index, core);
    return core;
  }

  private buildUserCore(index: number): UserCore {
    const rng = new Rng(hash3(this.options.seed, SALT_USER, index));
    const first = rng.pick(firstNames);
    const last = rng.pick(lastNames);
    const username = `${first}.${last}${index}`.toLowerCase();
    return {
      index,
      userId: this.userId(index),
      username,
      email: `${username}@${rng.pick(domains)}`,
      idle: this.isIdle(index),
    };
  }

  /** Group indexes the user belongs to (fixed by the seed; memberships are not mutable). */
  groupIndexesOf(index: number): number[] {
    if (this.groupTotal === 0) return [];
    const rng = new Rng(hash3(this.options.seed, SALT_MEMBERSHIP, index));
    const wanted = Math.min(rng.weighted([0, 1, 2, 3], GROUP_COUNT_WEIGHTS), this.groupTotal);
    const chosen: number[] = [];
    while (chosen.length < wanted) {
      const candidate = rng.int(this.groupTotal);
      if (!chosen.includes(candidate)) chosen.push(candidate);
    }
    return chosen.sort((a, b) => a - b);
  }

  // --- mutations -------------------------------------------------------------------------------

  deleteUser(index: number): void {
    this.deleted.add(index);
    this.liveIndexes = undefined;
  }

  setUserStatus(index: number, status: UserStatus): void {
    this.statusOverrides.set(index, status);
  }

  renameGroup(index: number, name: string, atMs: number): void {
    const history = this.renames.get(index) ?? [];
    history.push({ atMs, name });
    this.renames.set(index, history);
  }

  isDeleted(index: number): boolean {
    return this.deleted.has(index);
  }

  // --- lookups ---------------------------------------------------------------------------------

  /** Users still listed (not deleted). */
  get userCount(): number {
    return this.userTotal - this.deleted.size;
  }

  /** The user index at a listing offset (users keep their seed order; deletions shift offsets). */
  userIndexAtOffset(offset: number): number | undefined {
    if (this.deleted.size === 0) return offset < this.userTotal ? offset : undefined;
    if (!this.liveIndexes) {
      const live = new Int32Array(this.userCount);
      let k = 0;
      for (let i = 0; i < this.userTotal; i++) if (!this.deleted.has(i)) live[k++] = i;
      this.liveIndexes = live;
    }
    return offset < this.liveIndexes.length ? this.liveIndexes[offset] : undefined;
  }

  indexOfUserId(userId: string): number | undefined {
    if (!this.userIdIndex) {
      this.userIdIndex = new Map();
      for (let i = 0; i < this.userTotal; i++) this.userIdIndex.set(this.userId(i), i);
    }
    const index = this.userIdIndex.get(userId);
    return index === undefined || this.deleted.has(index) ? undefined : index;
  }

  indexOfGroupId(groupId: string): number | undefined {
    if (!this.groupIdIndex) {
      this.groupIdIndex = new Map();
      for (let j = 0; j < this.groupTotal; j++) this.groupIdIndex.set(this.groupId(j), j);
    }
    return this.groupIdIndex.get(groupId);
  }

  /** The group's name at `atMs` (renames are recorded with the simulator time they happened). */
  groupName(index: number, atMs = Number.POSITIVE_INFINITY): string {
    const history = this.renames.get(index);
    if (history) {
      for (let k = history.length - 1; k >= 0; k--) {
        const rename = history[k];
        if (rename && rename.atMs <= atMs) return rename.name;
      }
    }
    const base = groupNames[index % groupNames.length] ?? 'Group';
    return index < groupNames.length ? base : `${base} ${Math.floor(index / groupNames.length) + 1}`;
  }

  userStatus(index: number): UserStatus {
    return this.statusOverrides.get(index) ?? this.baseUser(index).status;
  }

  /** Listed users with `status` (overrides included). O(users): for the account summary only. */
  countWithStatus(status: UserStatus): number {
    let count = 0;
    for (let i = 0; i < this.userTotal; i++) if (!this.deleted.has(i) && this.userStatus(i) === status) count++;
    return count;
  }

  // --- API objects -----------------------------------------------------------------------------

  groupJson(index: number): Record<string, unknown> {
    const rng = new Rng(hash3(this.options.seed, SALT_GROUP, index));
    const status = rng.weighted(['Active', 'Bypass', 'Disabled'], [0.9, 0.03, 0.07]);
    const push = rng.chance(0.9);
    return {
      desc: rng.chance(0.7) ? `Members of ${this.groupName(index, 0)}` : '',
      group_id: this.groupId(index),
      mobile_otp_enabled: rng.chance(0.5),
      name: this.groupName(index),
      push_enabled: push,
      sms_enabled: rng.chance(0.6),
      status,
      voice_enabled: rng.chance(0.4),
    };
  }

  userJson(index: number): Record<string, unknown> {
    const core = this.userCore(index);
    const base = this.baseUser(index);
    const status = this.userStatus(index);
    const rng = new Rng(hash3(this.options.seed, SALT_USER, index) ^ 0x5a5a5a5a);
    const phones: Record<string, unknown>[] = [];
    const tokens: Record<string, unknown>[] = [];
    const webauthn: Record<string, unknown>[] = [];
    if (base.enrolled) {
      const phoneCount = rng.chance(0.85) ? 1 : 2;
      for (let p = 0; p < phoneCount; p++) {
        const model = rng.pick(phoneModels);
        phones.push({
          activated: true,
          capabilities: ['auto', 'push', 'sms', 'phone', 'mobile_otp'],
          encrypted: 'Encrypted',
          extension: '',
          fingerprint: 'Configured',
          last_seen: new Date((this.anchorSec - rng.int(30 * 86_400)) * 1000).toISOString().slice(0, 19),
          model: model.model,
          name: model.name,
          number: `1555555${String(rng.int(10_000)).padStart(4, '0')}`,
          phone_id: randomDuoId('DP', rng),
          platform: model.platform,
          postdelay: '0',
          predelay: '0',
          screenlock: 'Locked',
          sms_passcodes_sent: rng.chance(0.3),
          tampered: 'Not tampered',
          type: 'Mobile',
        });
      }
      if (rng.chance(0.1)) tokens.push({ serial: String(100_000 + rng.int(900_000)), token_id: randomDuoId('DH', rng), type: 'd1' });
      if (rng.chance(0.15)) {
        webauthn.push({ credential_name: 'Touch ID', date_added: base.created + rng.int(86_400), label: 'Security key', webauthnkey: randomDuoId('WA', rng) });
      }
    }
    const alias1 = base.hasAlias ? `${core.username.split('.')[0] ?? 'user'}${index}` : null;
    const aliases: Record<string, string> = {};
    if (alias1) aliases.alias1 = alias1;
    const [firstname, lastname] = base.names;
    return {
      alias1,
      alias2: null,
      alias3: null,
      alias4: null,
      aliases,
      created: base.created,
      email: core.email,
      enable_auto_prompt: true,
      external_id: base.externalId,
      firstname,
      groups: this.groupIndexesOf(index).map((g) => this.groupJson(g)),
      is_enrolled: base.enrolled,
      last_directory_sync: base.lastDirectorySync,
      last_login: base.lastLogin,
      lastname,
      lockout_reason: status === 'locked out' ? 'Failed Attempts' : null,
      notes: '',
      phones,
      realname: `${firstname} ${lastname}`,
      status,
      tokens,
      u2ftokens: [],
      user_id: core.userId,
      username: core.username,
      webauthncredentials: webauthn,
    };
  }

  private baseUser(index: number): {
    names: [string, string];
    status: UserStatus;
    enrolled: boolean;
    created: number;
    lastLogin: number | null;
    lastDirectorySync: number | null;
    externalId: string | null;
    hasAlias: boolean;
  } {
    // Same stream as userCore, so names agree; later draws add the rest.
    const rng = new Rng(hash3(this.options.seed, SALT_USER, index));
    const first = rng.pick(firstNames);
    const last = rng.pick(lastNames);
    rng.pick(domains);
    const idle = this.isIdle(index);
    const status = rng.weighted(userStatuses, STATUS_WEIGHTS);
    const enrolled = rng.chance(idle ? 0.6 : status === 'active' || status === 'bypass' ? 0.95 : 0.8);
    const threeYears = 3 * 365 * 86_400;
    const created = this.anchorSec - Math.floor((0.05 + 0.95 * rng.next()) * threeYears);
    let lastLogin: number | null;
    if (!idle) {
      // Users that appear in logs logged in inside the generated window.
      const from = Math.max(created, this.windowStartSec);
      lastLogin = from + Math.floor(rng.next() * Math.max(1, this.anchorSec - from));
    } else if (rng.chance(0.5) && created < this.windowStartSec) {
      // Idle users with an old login: known to Duo, but nothing in our window.
      lastLogin = created + Math.floor(rng.next() * (this.windowStartSec - created));
    } else {
      lastLogin = null;
    }
    const synced = rng.chance(0.3);
    return {
      names: [first, last],
      status,
      enrolled,
      created,
      lastLogin,
      lastDirectorySync: synced ? this.anchorSec - rng.int(86_400) : null,
      externalId: synced ? rng.hex(32) : null,
      hasAlias: rng.chance(0.4),
    };
  }
}
