import { z } from 'zod';
import type { AccountSettings, AccountSpec, FaultSpec, RateLimitSpec } from './spec.js';

/**
 * A typed client of the simulator's /__sim control API (accounts, faults, revocations, roster
 * changes, stats and the truth), for tests, benchmarks and the demo.
 */

export type Grant = 'readLog' | 'readResource' | 'readInformation' | 'readApplications';
export type UserStatus = 'active' | 'bypass' | 'disabled' | 'locked out' | 'pending deletion';

const counts = z.record(z.string(), z.number());
const statsSchema = z.object({
  requests: z.object({ total: z.number(), byClass: z.record(z.string(), counts), byEndpoint: z.record(z.string(), counts) }),
  signatures: counts,
  faults: counts,
  /** When each served log request arrived (simulator clock); older simulators send none. */
  logRequestTimesMs: z.array(z.number()).default([]),
});
const setDigest = z.object({ count: z.number(), checksum: z.string() });
const eventDigest = setDigest.extend({ oldestMs: z.number().nullable(), newestMs: z.number().nullable() });
const truthSchema = z.object({
  at: z.number(),
  window: z.object({ mintime: z.number(), maxtime: z.number() }),
  users: setDigest,
  groups: setDigest,
  memberships: setDigest,
  authEvents: eventDigest,
  telephonyEvents: eventDigest,
  activityEvents: eventDigest,
  adminEvents: eventDigest,
  lateAuthEvents: eventDigest.extend({ lastPublishedMs: z.number().nullable() }),
});
const rosterEntry = z.object({
  user_id: z.string(),
  username: z.string(),
  email: z.string(),
  status: z.enum(['active', 'bypass', 'disabled', 'locked out', 'pending deletion']),
  is_enrolled: z.boolean(),
  created: z.number(),
  last_login: z.number().nullable(),
  group_ids: z.array(z.string()),
});
const rosterSchema = z.object({ users: z.array(rosterEntry), groups: z.array(z.object({ group_id: z.string(), name: z.string() })) });

export type SimulatorStats = z.infer<typeof statsSchema>;
export type SimulatorTruth = z.infer<typeof truthSchema>;
export type RosterEntry = z.infer<typeof rosterEntry>;
export type Roster = z.infer<typeof rosterSchema>;

export interface TruthWindow {
  at?: number;
  mintime?: number;
  maxtime?: number;
}

/** Which events of the window an id list names: visible at `at` (default), published later, or both. */
export interface IdListWindow extends TruthWindow {
  publication?: 'visible' | 'pending' | 'eventual';
}

export interface SimulatorControl {
  reset(): Promise<void>;
  addAccount(spec: AccountSpec): Promise<void>;
  setFaults(integrationKey: string, faults: FaultSpec): Promise<void>;
  setRateLimits(integrationKey: string, limits: RateLimitSpec): Promise<void>;
  /** Replaces the account's settings (log retention, page-size cap); `{}` restores Duo's defaults. */
  setSettings(integrationKey: string, settings: AccountSettings): Promise<void>;
  revoke(integrationKey: string, what: { keys?: true; permission?: Grant }): Promise<void>;
  restore(integrationKey: string, what?: { keys?: true; permission?: Grant }): Promise<void>;
  deleteUser(integrationKey: string, userId: string): Promise<void>;
  setUserStatus(integrationKey: string, userId: string, status: UserStatus): Promise<void>;
  renameGroup(integrationKey: string, groupId: string, name: string): Promise<void>;
  stats(integrationKey: string): Promise<SimulatorStats>;
  truth(integrationKey: string, window?: TruthWindow): Promise<SimulatorTruth>;
  /** Sorted, from the streaming endpoint. */
  authTxids(integrationKey: string, window?: IdListWindow): Promise<string[]>;
  roster(integrationKey: string): Promise<Roster>;
}

export class ControlApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`simulator control API answered ${status}: ${body}`);
    this.name = 'ControlApiError';
  }
}

function windowQuery(window: IdListWindow = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(window)) if (value !== undefined) params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function createControlClient(origin: string): SimulatorControl {
  const call = async (method: string, path: string, body?: unknown): Promise<string> => {
    const response = await fetch(`${origin}/__sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new ControlApiError(response.status, text);
    return text;
  };
  const account = (ikey: string): string => `/accounts/${encodeURIComponent(ikey)}`;
  return {
    async reset() {
      await call('POST', '/reset');
    },
    async addAccount(spec) {
      await call('POST', '/accounts', spec);
    },
    async setFaults(ikey, faults) {
      await call('PUT', `${account(ikey)}/faults`, faults);
    },
    async setRateLimits(ikey, limits) {
      await call('PUT', `${account(ikey)}/rate-limits`, limits);
    },
    async setSettings(ikey, settings) {
      await call('PUT', `${account(ikey)}/settings`, settings);
    },
    async revoke(ikey, what) {
      await call('POST', `${account(ikey)}/revoke`, what);
    },
    async restore(ikey, what = {}) {
      await call('POST', `${account(ikey)}/restore`, what);
    },
    async deleteUser(ikey, userId) {
      await call('POST', `${account(ikey)}/users/${encodeURIComponent(userId)}/delete`);
    },
    async setUserStatus(ikey, userId, status) {
      await call('POST', `${account(ikey)}/users/${encodeURIComponent(userId)}/status`, { status });
    },
    async renameGroup(ikey, groupId, name) {
      await call('POST', `${account(ikey)}/groups/${encodeURIComponent(groupId)}/rename`, { name });
    },
    async stats(ikey) {
      return statsSchema.parse(JSON.parse(await call('GET', `${account(ikey)}/stats`)));
    },
    async truth(ikey, window) {
      return truthSchema.parse(JSON.parse(await call('GET', `${account(ikey)}/truth${windowQuery(window)}`)));
    },
    async authTxids(ikey, window) {
      const text = await call('GET', `${account(ikey)}/truth/auth-txids${windowQuery(window)}`);
      return text.split('\n').filter((line) => line !== '');
    },
    async roster(ikey) {
      return rosterSchema.parse(JSON.parse(await call('GET', `${account(ikey)}/truth/users`)));
    },
  };
}
