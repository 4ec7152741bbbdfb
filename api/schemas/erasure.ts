import { z } from 'zod';

/** The answer to a per-user erasure request (DELETE /v1/tenants/{tenantId}/duo/users/{userId}/data). */
export const userErasureSchema = z
  .object({
    tenantId: z.string(),
    userId: z.string(),
    erasedAt: z.iso.datetime(),
    deleted: z
      .object({
        authEvents: z.int().nonnegative(),
        telephonyEvents: z.int().nonnegative().meta({ description: 'Telephony events to one of the phone numbers of the user row' }),
        activityEvents: z.int().nonnegative().meta({ description: 'Activity events with the user as actor or target' }),
        administratorEvents: z.int().nonnegative().meta({ description: 'Administrator actions on the user (user_* actions naming their username)' }),
        rollupRows: z.int().nonnegative().meta({ description: 'Daily per-user and per-application rows of the user' }),
        userRows: z.int().nonnegative().meta({ description: 'The user row and its group memberships' }),
      })
      .meta({ description: 'Rows deleted; all zero when nothing of the user was stored (a repeated request)' }),
  })
  .meta({ id: 'DuoUserErasure' });
