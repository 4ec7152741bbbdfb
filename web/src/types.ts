/** The API documents the console reads (see docs/API.md, docs/USAGE.md). */

export interface Me {
  keyId: string;
  name: string;
  scopes: string[];
  tenantId: string | null;
}

export interface ConsoleSettings {
  temporalUiUrl: string | null;
  temporalNamespace: string;
}

export interface TenantRow {
  tenantId: string;
  status: string;
  phase: string | null;
  initialSync: { daysDone: number; daysTotal: number; eventsSynced: number } | null;
  lastRunAt: string | null;
  lagSeconds: number | null;
  lastError: { code: string; message: string; at: string | null } | null;
}

export interface StreamState {
  enabled: boolean;
  checkpointAt: string | null;
  newestEventAt: string | null;
  events: number;
}

export interface IntegrationStatus {
  tenantId: string;
  status: string;
  apiHost: string;
  integrationKey: string;
  connectedAt: string | null;
  initialSync: {
    state: string;
    phase: string;
    workflowId: string;
    startedAt: string | null;
    completedAt: string | null;
    estimatedCompletionAt: string | null;
    backfill: { windowsDone: number; windowsTotal: number; startAt: string; reachedBackAt: string | null };
  };
  counts: { users: number; groups: number; authEvents: number };
  lastError: { code: string; message: string } | null;
  lastSyncAt: string | null;
  nextSyncAt: string | null;
  lagSeconds: number | null;
  streams: Record<string, StreamState>;
  lastRun: { outcome: string; at: string } | null;
  schedule: { paused: boolean; note: string | null; intervalMinutes: number; source: string };
  retention: { eventDays: number; rollupDays: number };
  settings: { syncIntervalMinutes: number; streams: Record<string, boolean>; rosterRefreshHourUtc: number | null; eventRetentionDays: number };
}

export interface RunRow {
  kind: string;
  workflowId: string;
  runId: string;
  startedAt: string;
  finishedAt: string | null;
  outcome: string;
  counts: Record<string, number>;
  error: { code: string; message: string | null } | null;
}

export interface Freshness {
  newestEventAt: string | null;
  partial: boolean;
}

export interface Usage {
  users: number;
  byStatus: Record<string, number>;
  byGroup: { groupId: string; name: string; members: number; active30d: number }[];
  thresholds: { days: number; active: number; inactive: number }[];
  reclaimCandidates: { count: number; inactiveDays: number; graceDays: number; usersQuery: string };
  freshness: Freshness;
}

type Windows = { d30: number; d60: number; d90: number };

export interface ApplicationUsage {
  applicationKey: string;
  name: string | null;
  activeUsers: Windows;
  authentications: Windows;
  lastUsedAt: string | null;
}

export interface GroupUsage {
  groupId: string;
  name: string;
  members: number;
}

export interface UserRow {
  userId: string;
  username: string;
  realname: string | null;
  email: string | null;
  status: string;
  groups: { groupId: string; name: string }[];
  enrolled: boolean;
  inRoster: boolean;
  createdAt: string | null;
  lastLogin: string | null;
  lastActivityAt: string | null;
  authCounts: Windows;
  applications30d: number;
  deletedAt: string | null;
}

export interface UserDetail extends UserRow {
  aliases: string[];
}

export interface UserEvent {
  txid: string;
  occurredAt: string;
  result: string | null;
  reason: string | null;
  factor: string | null;
  application: { key: string | null; name: string | null };
  access: { ip: string | null; city: string | null; country: string | null };
}
