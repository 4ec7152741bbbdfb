import { z } from 'zod';

/**
 * The HTTP contract of the read routes the web console needs beyond the usage API: the daily
 * active-users series, one user's page, the run log, and the console's own settings.
 */

export const MAX_SERIES_DAYS = 400;
export const DEFAULT_SERIES_DAYS = 180;
export const DEFAULT_RUNS = 20;
export const MAX_RUNS = 100;

const wholeNumber = (name: string, min: number, max: number) => {
  const message = `${name} must be a whole number from ${min} to ${max}`;
  return z
    .string({ error: message })
    .transform(Number)
    .pipe(z.number({ error: message }).int(message).min(min, message).max(max, message));
};

const groupItem = z
  .string()
  .min(1, 'group must not be empty')
  .max(200, 'group must be at most 200 characters')
  .regex(/^[^\u0000]*$/, 'group must not contain NUL characters');

export const dailyActiveUsersQuerySchema = z.strictObject({
  days: wholeNumber('days', 1, MAX_SERIES_DAYS)
    .optional()
    .meta({ description: `Days ending today (UTC), 1 to ${MAX_SERIES_DAYS}. Default ${DEFAULT_SERIES_DAYS}` }),
  group: z
    .union([z.string(), z.array(z.string())], { error: 'group must be a string, repeated for several values' })
    .transform((value) => (Array.isArray(value) ? value : [value]))
    .pipe(z.array(groupItem).max(50, 'group takes at most 50 values'))
    .optional()
    .meta({ description: 'Count only current members of these groups (id or name; repeat for several)' }),
});

export const dailyActiveUsersSchema = z
  .object({
    days: z
      .array(
        z.object({
          day: z.string().meta({ description: 'UTC date, YYYY-MM-DD' }),
          activeUsers: z.int().nonnegative().meta({ description: 'Distinct users with a successful authentication that day' }),
        }),
      )
      .meta({ description: 'Oldest first; every day of the range, 0 when nobody authenticated' }),
  })
  .meta({ id: 'DuoDailyActiveUsers' });

export const runsQuerySchema = z.strictObject({
  limit: wholeNumber('limit', 1, MAX_RUNS).optional().meta({ description: `Runs to return, newest first. Default ${DEFAULT_RUNS}` }),
});

export const runListSchema = z
  .object({
    runs: z.array(
      z.object({
        kind: z.string().meta({ description: 'initial, incremental or roster' }),
        workflowId: z.string(),
        runId: z.string(),
        startedAt: z.string(),
        finishedAt: z.string().nullable(),
        outcome: z.string().meta({ description: 'running, completed, failed or cancelled' }),
        counts: z.record(z.string(), z.number()).meta({ description: 'What the run stored (events, users, …)' }),
        error: z
          .object({ code: z.string(), message: z.string().nullable() })
          .nullable()
          .meta({ description: 'Why a failed run failed (code as in logs and the Temporal UI)' }),
      }),
    ),
  })
  .meta({ id: 'DuoSyncRunList' });

export const userDetailSchemaExtras = z.object({
  aliases: z.array(z.string()).meta({ description: "Duo's username aliases" }),
});

export const consoleSettingsSchema = z
  .object({
    temporalUiUrl: z.string().nullable().meta({ description: 'Base URL of the Temporal UI, or null when not configured' }),
    temporalNamespace: z.string(),
  })
  .meta({ id: 'ConsoleSettings' });

