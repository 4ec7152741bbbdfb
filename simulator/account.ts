import { createDataset, type Dataset } from './dataset.js';
import { AdminLog } from './events/admin.js';
import { FaultInjector } from './faults.js';
import { LatePublication } from './late-publication.js';
import { TokenBucket } from './rate-limit.js';
import type { AccountSettings, AccountSpec, FaultSpec, Permission, RateLimitSpec } from './spec.js';
import { emptyStats, type AccountStats } from './stats.js';
import { RETENTION_MS } from './timeline.js';

export type LimitedClass = 'log' | 'object';

/** Duo's page-size maximum of v2 logs. */
export const MAX_LOG_PAGE_SIZE = 1000;

/**
 * One simulated Duo account: its immutable dataset plus everything the control API can change at
 * runtime (revocations, rate limits, faults, settings, roster mutations, counters). `reset()`
 * returns it to the spec it was created with; the data itself never changes.
 */
export class SimAccount {
  readonly dataset: Dataset;
  readonly adminLog: AdminLog;
  readonly faults: FaultInjector;
  keysRevoked = false;
  stats: AccountStats = emptyStats();
  private readonly revokedPermissions = new Set<Permission>();
  private rateLimits: RateLimitSpec = {};
  private buckets: Partial<Record<LimitedClass, TokenBucket>> = {};
  private accountSettings: AccountSettings;
  private late: { spec: FaultSpec; publication: LatePublication | undefined } | undefined;

  constructor(
    readonly spec: AccountSpec,
    nowMs: number,
  ) {
    this.dataset = createDataset(spec.dataset, nowMs);
    this.adminLog = new AdminLog(this.dataset);
    this.faults = new FaultInjector(spec.faults ?? {}, this.dataset.seed);
    this.setRateLimits(spec.rateLimits ?? {}, nowMs);
    this.accountSettings = spec.settings ?? {};
  }

  get integrationKey(): string {
    return this.spec.integrationKey;
  }

  reset(nowMs: number): void {
    this.keysRevoked = false;
    this.revokedPermissions.clear();
    this.dataset.roster.resetMutations();
    this.faults.configure(this.spec.faults ?? {});
    this.setRateLimits(this.spec.rateLimits ?? {}, nowMs);
    this.accountSettings = this.spec.settings ?? {};
    this.stats = emptyStats();
  }

  get settings(): AccountSettings {
    return this.accountSettings;
  }

  /** Replaces the settings; absent fields are Duo's defaults. */
  setSettings(settings: AccountSettings): void {
    this.accountSettings = settings;
  }

  /** How far back logs go: Duo's 180 days, or the account's shorter retention. */
  get logRetentionMs(): number {
    const days = this.accountSettings.logRetentionDays;
    return days === undefined ? RETENTION_MS : days * 86_400_000;
  }

  get maxLogPageSize(): number {
    return this.accountSettings.maxLogPageSize ?? MAX_LOG_PAGE_SIZE;
  }

  /** The late-publication fault the current fault spec describes (authentication events only). */
  get latePublication(): LatePublication | undefined {
    const spec = this.faults.current;
    if (this.late?.spec !== spec) this.late = { spec, publication: LatePublication.from(spec, this.dataset.seed) };
    return this.late.publication;
  }

  hasPermission(permission: Permission): boolean {
    return (this.spec.permissions?.[permission] ?? true) && !this.revokedPermissions.has(permission);
  }

  revokePermission(permission: Permission): void {
    this.revokedPermissions.add(permission);
  }

  restorePermission(permission: Permission): void {
    this.revokedPermissions.delete(permission);
  }

  restoreAll(): void {
    this.keysRevoked = false;
    this.revokedPermissions.clear();
  }

  get currentRateLimits(): RateLimitSpec {
    return this.rateLimits;
  }

  /** Replaces the limits; buckets start full. */
  setRateLimits(limits: RateLimitSpec, nowMs: number): void {
    this.rateLimits = limits;
    this.buckets = {};
    if (limits.logRequestsPerMinute !== undefined) this.buckets.log = new TokenBucket(limits.logRequestsPerMinute, nowMs);
    if (limits.objectRequestsPerMinute !== undefined) this.buckets.object = new TokenBucket(limits.objectRequestsPerMinute, nowMs);
  }

  tryTakeToken(endpointClass: LimitedClass, nowMs: number): boolean {
    return this.buckets[endpointClass]?.tryTake(nowMs) ?? true;
  }
}
