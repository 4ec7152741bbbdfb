import { z } from 'zod';
import { initialSyncPhases, integrationStatuses } from '../../db/integration-states.js';
import { TENANT_ID_PATTERN } from './integration.js';

/**
 * The HTTP contract of GET /v1/tenants: its query (each message names its parameter), the opaque
 * keyset cursor and the page document. The OpenAPI document is generated from these.
 */

export const DEFAULT_TENANT_PAGE_SIZE = 50;
export const MAX_TENANT_PAGE_SIZE = 200;

const statusItem = z.enum(integrationStatuses, { error: `status must be one of: ${integrationStatuses.join(', ')}` });

const tenantCursorPayload = z.strictObject({ v: z.literal(1), t: z.string().regex(TENANT_ID_PATTERN) });

export function encodeTenantCursor(afterTenantId: string): string {
  return Buffer.from(JSON.stringify({ v: 1, t: afterTenantId }), 'utf8').toString('base64url');
}

export function decodeTenantCursor(token: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  try {
    const parsed = tenantCursorPayload.safeParse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data.t : undefined;
  } catch {
    return undefined; // not JSON: the same answer as any other foreign token
  }
}

const limitMessage = `limit must be a whole number from 1 to ${MAX_TENANT_PAGE_SIZE}`;

export const tenantsQuerySchema = z.strictObject(
  {
    status: z
      .union([z.string(), z.array(z.string())], { error: 'status must be a string, repeated for several values' })
      .transform((value) => (Array.isArray(value) ? value : [value]))
      .pipe(z.array(statusItem).max(integrationStatuses.length, `status takes at most ${integrationStatuses.length} values`))
      .optional()
      .meta({ description: `Integration status; repeat for several (any of them matches): ${integrationStatuses.join(', ')}` }),
    cursor: z
      .string({ error: 'cursor must be a string' })
      .max(1024, 'cursor is too long')
      .transform((token, ctx) => {
        const after = decodeTenantCursor(token);
        if (after === undefined) {
          ctx.issues.push({ code: 'custom', input: token, message: 'cursor is not one this API returned: pass nextCursor unchanged' });
          return z.NEVER;
        }
        return after;
      })
      .optional()
      .meta({ description: 'nextCursor of the previous page, unchanged' }),
    limit: z
      .string({ error: limitMessage })
      .transform(Number)
      .pipe(z.number({ error: limitMessage }).int(limitMessage).min(1, limitMessage).max(MAX_TENANT_PAGE_SIZE, limitMessage))
      .optional()
      .meta({ description: `Page size, 1 to ${MAX_TENANT_PAGE_SIZE}. Default ${DEFAULT_TENANT_PAGE_SIZE}` }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? 'only status, cursor and limit are accepted' : undefined) },
);

export type TenantsQuery = z.infer<typeof tenantsQuerySchema>;

const instant = z.iso.datetime();

export const tenantSummarySchema = z
  .object({
    tenantId: z.string(),
    status: z.enum(integrationStatuses),
    phase: z.enum(initialSyncPhases).nullable().meta({ description: 'Phase of the initial sync while it has not completed; null once it has' }),
    initialSync: z
      .object({
        daysDone: z.int().nonnegative().meta({ description: 'Day windows of authentication logs backfilled' }),
        daysTotal: z.int().nonnegative(),
        eventsSynced: z.int().nonnegative().meta({ description: 'Authentication events stored so far' }),
      })
      .nullable()
      .meta({ description: 'Progress of the initial sync; null once it completed' }),
    lastRunAt: instant.nullable().meta({ description: 'When the last incremental run finished; null before the first' }),
    lagSeconds: z.int().nonnegative().nullable().meta({
      description: 'Seconds from the newest authentication event stored to now; null before any is stored',
    }),
    lastError: z
      .object({ code: z.string(), message: z.string(), at: instant })
      .nullable()
      .meta({ description: 'The failure that needs attention, as the status document shows it, with when it was recorded' }),
  })
  .meta({ id: 'TenantSummary' });

export const tenantListSchema = z
  .object({
    tenants: z.array(tenantSummarySchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as cursor for the next page; null on the last page' }),
  })
  .meta({ id: 'TenantList' });
