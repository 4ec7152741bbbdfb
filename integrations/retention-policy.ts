import type { IntegrationSettings } from '../db/schema.js';

/**
 * How long a tenant's data is kept: raw events for its own eventRetentionDays or the service's
 * EVENT_RETENTION_DAYS; daily rollups for ROLLUP_RETENTION_DAYS, and never less than the raw events
 * they were folded from. Cut-offs fall on UTC midnight, so a rollup day is either whole or gone.
 */
export interface RetentionDefaults {
  eventDays: number;
  rollupDays: number;
}

export interface Retention {
  eventDays: number;
  rollupDays: number;
}

const DAY_MS = 86_400_000;

export function retentionInEffect(settings: Pick<IntegrationSettings, 'eventRetentionDays'>, defaults: RetentionDefaults): Retention {
  const eventDays = settings.eventRetentionDays ?? defaults.eventDays;
  return { eventDays, rollupDays: Math.max(defaults.rollupDays, eventDays) };
}

/** The first instant kept: UTC midnight `days` days before the day of `nowMs`. */
export function retentionCutoffMs(nowMs: number, days: number): number {
  return Math.floor(nowMs / DAY_MS) * DAY_MS - days * DAY_MS;
}
