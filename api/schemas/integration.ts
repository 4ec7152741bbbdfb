import { z } from 'zod';
import { apiHostSchema } from '../../duo/api-host.js';
import { integrationKeySchema, secretKeySchema } from '../../duo/credential-formats.js';

/**
 * The HTTP contract: every request and response schema of the client API. The OpenAPI document at
 * /openapi.json is generated from these, so a change here is a change of the published contract.
 */

/** Tenant ids appear in workflow ids and search attributes, so they stay plain and bounded. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export const tenantIdSchema = z
  .string({ error: 'tenantId must be a string' })
  .regex(TENANT_ID_PATTERN, 'tenantId must be 1 to 64 letters, digits, "_" or "-"')
  .meta({ description: 'Your identifier for the tenant', example: 'acme' });

export const tenantParamsSchema = z.object({ tenantId: tenantIdSchema });

export const statusQuerySchema = z.object({
  live: z
    .stringbool({ error: 'live must be true or false' })
    .optional()
    .meta({
      description:
        'true: also ask Temporal (the running initial sync for its phase, the schedule for nextSyncAt), each within 1 s. ' +
        'Default false: answered from Postgres alone, so polling it never reaches Temporal',
    }),
});

const connectFields = ['integrationKey', 'secretKey', 'apiHost'] as const;

/** Strict: an unknown field is refused rather than silently dropped (a typo would otherwise pass). */
export const connectDuoBodySchema = z
  .strictObject(
    {
      integrationKey: integrationKeySchema.meta({
        description: 'Integration key of the Duo Admin API application',
        example: 'DIXXXXXXXXXXXXXXXXXX',
      }),
      secretKey: secretKeySchema.meta({
        description: 'Secret key of the Duo Admin API application (stored encrypted, never returned)',
        writeOnly: true,
      }),
      apiHost: apiHostSchema.meta({
        description: 'API hostname of the Duo account, lower-cased on input',
        example: 'api-1a2b3c4d.duosecurity.com',
      }),
    },
    {
      // Unknown keys and a non-object body are the object's own issues: say what is expected.
      error: (issue) => {
        if (issue.code === 'unrecognized_keys') return `only ${connectFields.join(', ')} are accepted`;
        if (issue.code === 'invalid_type') return `body must be a JSON object with ${connectFields.join(', ')}`;
        return undefined;
      },
    },
  )
  .meta({ id: 'ConnectDuoRequest' });

export type ConnectDuoBody = z.infer<typeof connectDuoBodySchema>;

export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'Stable, lower-case; see docs/API.md' }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  })
  .meta({ id: 'Error' });

export type ErrorResponse = z.infer<typeof errorResponseSchema>;
