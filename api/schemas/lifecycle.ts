import { z } from 'zod';
import { webhookBodySchema } from './integration.js';

/**
 * Request schemas of the lifecycle routes (sync now, pause, resume, settings, disconnect): part of the
 * published HTTP contract, like api/schemas/integration.ts. Bodies are strict, so a typo is refused instead of
 * silently doing nothing, and every message names its field.
 */

/** The non-object and unknown-key issues of a strict object, phrased for the fields it accepts. */
function objectIssues(what: string, fields: readonly string[]) {
  return (issue: { code: string }) => {
    if (issue.code === 'unrecognized_keys') return `only ${fields.join(', ')} are accepted in ${what}`;
    if (issue.code === 'invalid_type') return `${what} must be a JSON object with ${fields.join(', ')}`;
    return undefined;
  };
}

export const syncNowBodySchema = z
  .strictObject(
    {
      roster: z
        .boolean({ error: 'roster must be true or false' })
        .optional()
        .meta({ description: 'Also refresh users, groups and memberships in this run (default false: only when the daily refresh is due)' }),
    },
    { error: objectIssues('the body', ['roster']) },
  )
  .meta({ id: 'SyncNowRequest', description: 'Optional: no body, an empty body and {} all mean a plain run' })
  // Fastify hands a missing body to validation as null, so null must pass for "no body" to work.
  .nullish();

export type SyncNowBody = z.infer<typeof syncNowBodySchema>;

/** The initial-sync retry takes nothing: the stored keys and the kept windows say everything. */
export const retryBodySchema = z
  .strictObject({}, { error: (issue) => (issue.code === 'unrecognized_keys' ? 'the retry takes no fields: send no body or {}' : 'the body must be empty or {}') })
  .meta({ id: 'InitialSyncRetryRequest', description: 'No body, an empty body or {}' })
  .nullish();

const operatorNoteFields = ['by', 'reason'] as const;

/** Every surrogate paired: Temporal refuses a note that is not valid UTF-8 after the row was written. */
const WELL_FORMED_UNICODE = /^(?:[^\ud800-\udfff]|[\ud800-\udbff][\udc00-\udfff])*$/;

/** Who pauses or resumes and why: written into the schedule's note in the Temporal UI. */
export const operatorNoteBodySchema = z
  .strictObject(
    {
      by: z
        .string({ error: 'by must be a string' })
        .trim()
        .min(1, 'by must be 1 to 200 characters')
        .max(200, 'by must be 1 to 200 characters')
        // Postgres cannot store a NUL in text: refused here, it is a 400 instead of a 500.
        .regex(/^[^\u0000]*$/, 'by must not contain NUL characters')
        .regex(WELL_FORMED_UNICODE, 'by must be valid Unicode (no unpaired surrogate)')
        .meta({ description: 'Who asks: an operator\'s name or address, or a system', example: 'ops@example.com' }),
      reason: z
        .string({ error: 'reason must be a string' })
        .trim()
        .min(1, 'reason must be 1 to 500 characters')
        .max(500, 'reason must be 1 to 500 characters')
        .regex(/^[^\u0000]*$/, 'reason must not contain NUL characters')
        .regex(WELL_FORMED_UNICODE, 'reason must be valid Unicode (no unpaired surrogate)')
        .meta({ description: 'Why; shown in the schedule\'s note', example: 'maintenance window' }),
    },
    { error: objectIssues('the body', operatorNoteFields) },
  )
  .meta({ id: 'OperatorNote' });

export type OperatorNoteBody = z.infer<typeof operatorNoteBodySchema>;

const streamFields = ['telephony', 'activity', 'administrator'] as const;
const settingsFields = ['syncIntervalMinutes', 'streams', 'rosterRefreshHourUtc', 'eventRetentionDays', 'webhook'] as const;

const streamSwitch = (name: string, description: string) =>
  z.boolean({ error: `streams.${name} must be true or false` }).optional().meta({ description });

const intervalMessage = 'syncIntervalMinutes must be a whole number of minutes from 1 to 1440';
const hourMessage = 'rosterRefreshHourUtc must be a whole hour from 0 to 23, or null';
const retentionMessage = 'eventRetentionDays must be a whole number of days from 181 to 3650, or null';

/** A partial update: only the fields sent change; at least one must be sent. */
export const settingsPatchBodySchema = z
  .strictObject(
    {
      syncIntervalMinutes: z
        .int({ error: intervalMessage })
        .min(1, intervalMessage)
        .max(1440, intervalMessage)
        .optional()
        .meta({ description: 'Minutes between incremental runs (1 to 1440); the schedule is updated in place', example: 5 }),
      streams: z
        .strictObject(
          {
            telephony: streamSwitch('telephony', 'Telephony logs (v2)'),
            activity: streamSwitch('activity', 'Activity logs (v2)'),
            administrator: streamSwitch('administrator', 'Administrator logs (v1)'),
          },
          { error: objectIssues('streams', streamFields) },
        )
        .refine((streams) => Object.keys(streams).length > 0, `streams must name at least one of ${streamFields.join(', ')}`)
        .optional()
        .meta({ description: 'Switch optional log streams on or off (all off by default; authentication logs are always on)' }),
      rosterRefreshHourUtc: z
        .int({ error: hourMessage })
        .min(0, hourMessage)
        .max(23, hourMessage)
        .nullable()
        .optional()
        .meta({ description: 'UTC hour of the daily roster refresh; null: 24 hours after the previous one', example: 3 }),
      eventRetentionDays: z
        .int({ error: retentionMessage })
        .min(181, retentionMessage)
        .max(3650, retentionMessage)
        .nullable()
        .optional()
        .meta({
          description: "Days this tenant's raw events are kept (181 to 3650; Duo itself serves 180); null: the service default (EVENT_RETENTION_DAYS)",
          example: 730,
        }),
      webhook: webhookBodySchema.optional(),
    },
    { error: objectIssues('the body', settingsFields) },
  )
  .refine((patch) => Object.keys(patch).length > 0, `send at least one of ${settingsFields.join(', ')}`)
  .meta({ id: 'SettingsPatch' });

export type SettingsPatchBody = z.infer<typeof settingsPatchBodySchema>;

/**
 * `purge` as query text: exactly `true` or `false`. Not z.stringbool(), which also takes `1`, `yes`,
 * `on`: deleting a tenant's data should need the one spelling the documentation shows.
 */
export const disconnectQuerySchema = z.strictObject(
  {
    purge: z
      .enum(['true', 'false'], { error: 'purge must be true or false' })
      .default('false')
      .transform((value) => value === 'true')
      .meta({ description: 'true also deletes the synced data; false (default) keeps it so a reconnect resumes' }),
  },
  { error: objectIssues('the query string', ['purge']) },
);
