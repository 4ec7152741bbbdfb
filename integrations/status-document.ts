import { z } from 'zod';
import { initialSyncPhases, initialSyncStates, integrationStatuses, runOutcomes } from '../db/integration-states.js';

/**
 * The status document of one tenant's integration: what GET …/integrations/duo answers and what every
 * lifecycle route returns. Built by integrations/status.ts; published in the OpenAPI document.
 */

const instant = z.iso.datetime();
const nullableInstant = instant.nullable();

const streamStatusSchema = z.object({
  enabled: z.boolean(),
  checkpointAt: nullableInstant.meta({ description: 'The stream is synced up to here; null before its first run' }),
  newestEventAt: nullableInstant.meta({ description: 'Newest event of this stream stored' }),
  events: z.int().nonnegative().meta({ description: 'Events of this stream stored' }),
});

export const integrationStatusSchema = z
  .object({
    tenantId: z.string(),
    status: z.enum(integrationStatuses),
    apiHost: z.string(),
    integrationKey: z.string().meta({ description: 'Masked: first 2 and last 4 characters', example: 'DI…WXYZ' }),
    connectedAt: instant,
    anchorAt: instant.meta({
      description: 'Instant pinned at connect: the initial sync covers authentication logs before it',
    }),
    initialSync: z.object({
      state: z.enum(initialSyncStates),
      phase: z.enum(initialSyncPhases),
      workflowId: z.string().nullable(),
      runId: z.string().nullable(),
      oldestEventAt: nullableInstant.meta({ description: 'Oldest authentication event stored' }),
      newestEventAt: nullableInstant.meta({ description: 'Newest authentication event stored' }),
      startedAt: instant,
      completedAt: nullableInstant,
      estimatedCompletionAt: nullableInstant.meta({
        description: 'Extrapolated from the day windows done so far; null when unknown or completed',
      }),
      backfill: z.object({
        windowsDone: z.int().nonnegative(),
        windowsTotal: z.int().nonnegative(),
        startAt: instant.meta({ description: 'Oldest instant the backfill covers' }),
        reachedBackAt: nullableInstant.meta({ description: 'Windows are fetched newest first; logs are complete from here to anchorAt' }),
      }),
      progressSource: z.enum(['workflow', 'database']).meta({
        description: 'workflow: phase from a live query of the running workflow (live=true); database: from Postgres only',
      }),
    }),
    counts: z.object({
      users: z.int().nonnegative(),
      groups: z.int().nonnegative(),
      authEvents: z.int().nonnegative(),
    }),
    lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
    lastSyncAt: nullableInstant.meta({ description: 'End of the last incremental run that completed' }),
    nextSyncAt: nullableInstant.meta({
      description:
        'Next scheduled run, from Temporal (GET with live=true, and the lifecycle routes); null otherwise, and when paused, disconnected or Temporal did not answer within 1 s',
    }),
    lagSeconds: z.int().nonnegative().nullable().meta({
      description: 'Seconds from the newest authentication event stored to now; null before any is stored',
    }),
    streams: z
      .object({ auth: streamStatusSchema, telephony: streamStatusSchema, activity: streamStatusSchema, administrator: streamStatusSchema })
      .meta({ description: 'Each log stream: authentication (always on), then the optional ones' }),
    lastRun: z
      .object({
        outcome: z.enum(runOutcomes),
        at: instant.meta({ description: 'When the run finished' }),
      })
      .nullable()
      .meta({ description: 'The last incremental run; null before the first one finished' }),
    schedule: z.object({
      paused: z.boolean().meta({ description: 'Whether scheduled runs are paused (sync now still runs once)' }),
      note: z.string().nullable().meta({ description: 'Who paused it and why, or the failure that paused it' }),
      intervalMinutes: z.int().positive().meta({ description: 'Minutes between scheduled runs' }),
      source: z.enum(['temporal', 'database']).meta({
        description: 'temporal: as the schedule describes itself; database: the desired state (Temporal not asked or did not answer)',
      }),
    }),
    retentionAlarm: z
      .object({ since: instant })
      .nullable()
      .meta({ description: 'Set while an enabled stream\'s checkpoint is within 7 days of Duo\'s 180-day log retention' }),
    retention: z
      .object({
        eventDays: z.int().positive().meta({ description: "Days raw events are kept: the tenant's eventRetentionDays or the service default" }),
        rollupDays: z.int().positive().meta({ description: 'Days the daily per-user and per-application counts are kept (never fewer than eventDays)' }),
        eventsKeptFrom: instant.meta({ description: 'Raw events before this instant are deleted (whole months at once, or in batches for a retention shorter than the longest)' }),
        rollupsKeptFrom: instant.meta({ description: 'Daily counts before this instant are deleted' }),
      })
      .meta({ description: 'What is kept' }),
    settings: z
      .object({
        syncIntervalMinutes: z.int().positive().meta({ description: 'In effect: the tenant\'s own or the service default' }),
        streams: z
          .object({ telephony: z.boolean(), activity: z.boolean(), administrator: z.boolean() })
          .meta({ description: 'Optional log streams switched on (authentication logs always are)' }),
        rosterRefreshHourUtc: z.int().min(0).max(23).nullable().meta({ description: 'null: 24 hours after the previous refresh' }),
        eventRetentionDays: z.int().positive().meta({ description: 'In effect: the tenant\'s own or the service default' }),
      })
      .meta({ description: 'What PATCH changes' }),
  })
  .meta({ id: 'DuoIntegrationStatus' });

export type IntegrationStatusDocument = z.infer<typeof integrationStatusSchema>;
