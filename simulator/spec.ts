import { z } from 'zod';

/**
 * The configuration of one simulated Duo account. Also the payload of `POST /__sim/accounts`,
 * so it is a zod schema; the exported types are inferred from it.
 */
export const permissionsSchema = z.strictObject({
  readLog: z.boolean().optional(),
  readResource: z.boolean().optional(),
  readInformation: z.boolean().optional(),
  /** Duo's "Grant applications": the applications (integrations) list. */
  readApplications: z.boolean().optional(),
});

export const datasetSpecSchema = z.strictObject({
  seed: z.number().int(),
  users: z.number().int().min(0).max(1_000_000),
  groups: z.number().int().min(0).max(100_000),
  /** Approximate number of authentication events over `days`. */
  authEvents: z.number().int().min(0),
  days: z.number().int().min(1).max(180),
  /** Share of users that never appear in any log (default 0.15). */
  idleUserShare: z.number().min(0).max(1).optional(),
  /** Authentication events per minute after the anchor; other log types follow in proportion. */
  liveEventsPerMinute: z.number().min(0).optional(),
  /** Defaults: authEvents / 50, / 20 and / 200. */
  telephonyEvents: z.number().int().min(0).optional(),
  activityEvents: z.number().int().min(0).optional(),
  adminEvents: z.number().int().min(0).optional(),
  /**
   * Where history ends and live events begin (ms, rounded down to the minute). Default: the
   * simulator clock when the account is created. Pin it to get identical data across runs.
   */
  anchorMs: z.number().int().min(0).optional(),
});

/** Lateness bounds of late-published events when a spec gives none (minutes). */
export const LATE_PUBLICATION_DEFAULTS = { minMinutes: 5, maxMinutes: 240 } as const;

export const faultSpecSchema = z.strictObject({
  seed: z.number().int().optional(),
  serverErrorRate: z.number().min(0).max(1).optional(),
  rateLimitRate: z.number().min(0).max(1).optional(),
  /** A 429 fault lasts 1..rateLimitBurst consecutive requests (default 3). */
  rateLimitBurst: z.number().int().min(1).max(100).optional(),
  resetRate: z.number().min(0).max(1).optional(),
  slowRate: z.number().min(0).max(1).optional(),
  slowMs: z.number().int().min(0).max(600_000).optional(),
  truncatedRate: z.number().min(0).max(1).optional(),
  malformedRate: z.number().min(0).max(1).optional(),
  schemaDriftRate: z.number().min(0).max(1).optional(),
  /** Breaks a required field (an item's id as a number, or the list missing): a schema mismatch. */
  typeDriftRate: z.number().min(0).max(1).optional(),
  stuckCursorRate: z.number().min(0).max(1).optional(),
  /**
   * Share of authentication events Duo publishes late: visible only `latePublicationMinMinutes` to
   * `latePublicationMaxMinutes` (default 5 to 240) after their timestamp plus the usual two minutes.
   * Decided per event (seeded), not per request.
   */
  latePublicationRate: z.number().min(0).max(1).optional(),
  latePublicationMinMinutes: z.number().min(0).max(10_080).optional(),
  latePublicationMaxMinutes: z.number().min(0).max(10_080).optional(),
  /** How the lateness spreads between min and max: `logUniform` (default: mostly minutes, a few hours) or `uniform`. */
  latePublicationShape: z.enum(['logUniform', 'uniform']).optional(),
}).refine(
  (spec) =>
    (spec.latePublicationMinMinutes ?? LATE_PUBLICATION_DEFAULTS.minMinutes) <=
    (spec.latePublicationMaxMinutes ?? LATE_PUBLICATION_DEFAULTS.maxMinutes),
  { message: 'latePublicationMinMinutes must not exceed latePublicationMaxMinutes', path: ['latePublicationMinMinutes'] },
);

export const rateLimitSpecSchema = z.strictObject({
  logRequestsPerMinute: z.number().positive().optional(),
  objectRequestsPerMinute: z.number().positive().optional(),
});

/** Account-level settings of how Duo serves logs. */
export const accountSettingsSchema = z.strictObject({
  /**
   * Duo's `log_retention_days`: log events older than this are gone (rows, not an error: a `mintime`
   * inside the 180 days Duo accepts still answers, with no rows for the days before retention).
   * Default 180.
   */
  logRetentionDays: z.number().int().min(1).max(180).optional(),
  /**
   * Most rows one v2 log page holds, whatever `limit` asks (Duo treats `limit` as a request): a
   * shorter page still carries a `next_offset` when more follows. Default 1000 (Duo's maximum).
   */
  maxLogPageSize: z.number().int().min(1).max(1000).optional(),
});

export const accountSpecSchema = z.strictObject({
  integrationKey: z.string().regex(/^DI[0-9A-Z]{18}$/, "must be 'DI' followed by 18 upper-case letters or digits"),
  secretKey: z.string().length(40),
  apiHost: z.string().min(1).max(253),
  permissions: permissionsSchema.optional(),
  dataset: datasetSpecSchema,
  rateLimits: rateLimitSpecSchema.optional(),
  faults: faultSpecSchema.optional(),
  settings: accountSettingsSchema.optional(),
});

export type AccountPermissions = z.infer<typeof permissionsSchema>;
export type DatasetSpec = z.infer<typeof datasetSpecSchema>;
export type FaultSpec = z.infer<typeof faultSpecSchema>;
export type RateLimitSpec = z.infer<typeof rateLimitSpecSchema>;
export type AccountSettings = z.infer<typeof accountSettingsSchema>;
export type AccountSpec = z.infer<typeof accountSpecSchema>;

export const permissionNames = ['readLog', 'readResource', 'readInformation', 'readApplications'] as const;
export type Permission = (typeof permissionNames)[number];
