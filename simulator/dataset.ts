import { duoObjectId } from './ids.js';
import { hash2, hashString, seed32 } from './prng.js';
import { Roster } from './roster.js';
import type { DatasetSpec } from './spec.js';
import { BUCKET_MS, Timeline } from './timeline.js';
import { applicationNames, applicationTypes } from './vocabulary.js';

export interface Application {
  key: string;
  name: string;
  /** Duo's integration type (e.g. `azure-ca`, `sso-generic`). */
  type: string;
}

export type LogKind = 'auth' | 'telephony' | 'activity' | 'admin';
export const logKinds: readonly LogKind[] = ['auth', 'telephony', 'activity', 'admin'];

/**
 * Everything one account's data derives from. Building it costs O(users) for the roster's idle
 * flags; events are never stored, only regenerated from their timelines.
 */
export interface Dataset {
  seed: number;
  anchorMs: number;
  days: number;
  roster: Roster;
  /** Applications that appear in authentication events. */
  applications: Application[];
  /** Protected applications nobody uses: in the applications list, never in a log. */
  unusedApplications: Application[];
  /** The account key (`akey`) that activity events carry. */
  accountKey: string;
  timelines: Record<LogKind, Timeline>;
}

const DEFAULT_IDLE_SHARE = 0.15;
const APPLICATION_COUNT = 6;
const UNUSED_APPLICATION_COUNT = 2;

export function createDataset(spec: DatasetSpec, clockMs: number): Dataset {
  const seed = seed32(spec.seed);
  const anchorMs = Math.floor((spec.anchorMs ?? clockMs) / BUCKET_MS) * BUCKET_MS;
  const roster = new Roster({
    seed,
    users: spec.users,
    groups: spec.groups,
    idleShare: spec.idleUserShare ?? DEFAULT_IDLE_SHARE,
    anchorMs,
    days: spec.days,
  });
  // Log events need someone to be about: with no active user there are none.
  const hasActors = roster.activeUserIndexes.length > 0;
  const authTotal = hasActors ? spec.authEvents : 0;
  const totals: Record<LogKind, number> = {
    auth: authTotal,
    telephony: hasActors ? spec.telephonyEvents ?? Math.round(spec.authEvents / 50) : 0,
    activity: hasActors ? spec.activityEvents ?? Math.round(spec.authEvents / 20) : 0,
    admin: hasActors ? spec.adminEvents ?? Math.round(spec.authEvents / 200) : 0,
  };
  const live = hasActors ? spec.liveEventsPerMinute ?? 0 : 0;
  const timeline = (kind: LogKind): Timeline =>
    new Timeline({
      key: hash2(seed, hashString(kind)),
      historicTotal: totals[kind],
      // Other log types keep the proportion they have in history.
      liveRatePerMinute: kind === 'auth' || authTotal === 0 ? (kind === 'auth' ? live : 0) : (live * totals[kind]) / authTotal,
      anchorMs,
      days: spec.days,
    });
  const appKey = hash2(seed, hashString('applications'));
  const application = (j: number): Application => ({
    key: duoObjectId('DI', appKey, j),
    name: applicationNames[j] ?? `Application ${j}`,
    type: applicationTypes[j] ?? 'sso-generic',
  });
  return {
    seed,
    anchorMs,
    days: spec.days,
    roster,
    applications: Array.from({ length: APPLICATION_COUNT }, (_, j) => application(j)),
    unusedApplications: Array.from({ length: UNUSED_APPLICATION_COUNT }, (_, j) => application(APPLICATION_COUNT + j)),
    accountKey: duoObjectId('DA', hash2(seed, hashString('akey')), 0),
    timelines: { auth: timeline('auth'), telephony: timeline('telephony'), activity: timeline('activity'), admin: timeline('admin') },
  };
}
