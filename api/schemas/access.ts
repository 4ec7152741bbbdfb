import { z } from 'zod';
import { apiKeyScopes } from '../../db/schema.js';
import { tenantIdSchema } from './integration.js';

/** The HTTP contract of API keys, the caller's identity and the audit trail. */

export const scopeSchema = z.enum(apiKeyScopes, { error: `scopes must each be one of ${apiKeyScopes.join(', ')}` });

export const keyIdSchema = z
  .string({ error: 'keyId must be a string' })
  .regex(/^[0-9a-f]{16}$/, 'keyId must be 16 lower-case hex digits')
  .meta({ description: 'The key\'s id (also the part after `dus_` in its secret)', example: '3f9a6c0d2b7e4f18' });

export const keyParamsSchema = z.object({ keyId: keyIdSchema });

const createKeyFields = ['name', 'scopes', 'tenantId', 'expiresAt'] as const;

/** Scopes that see every tenant, so a key holding one cannot be bound to a tenant. */
export const crossTenantScopes = ['admin', 'metrics:read'] as const;

export const createKeyBodySchema = z
  .strictObject(
    {
      name: z
        .string({ error: 'name must be a string' })
        .trim()
        .min(1, 'name must be 1 to 100 characters')
        .max(100, 'name must be 1 to 100 characters')
        .meta({ description: 'What the key is for (shown in listings and the audit trail)', example: 'portal' }),
      scopes: z
        .array(scopeSchema, { error: 'scopes must be an array of scopes' })
        .min(1, 'scopes must name at least one scope')
        .max(apiKeyScopes.length * 2, 'scopes names too many entries')
        .meta({ description: '`admin` implies every other scope' }),
      tenantId: tenantIdSchema.nullable().optional().meta({ description: 'Binds the key to this tenant: every other tenant answers 404' }),
      expiresAt: z.iso
        .datetime({ offset: true, error: 'expiresAt must be an ISO 8601 date-time with a time zone' })
        .nullable()
        .optional()
        .meta({ description: 'After this instant the key answers 401; unset: never expires' }),
    },
    {
      error: (issue) => {
        if (issue.code === 'unrecognized_keys') return `only ${createKeyFields.join(', ')} are accepted`;
        if (issue.code === 'invalid_type') return `body must be a JSON object with ${createKeyFields.join(', ')}`;
        return undefined;
      },
    },
  )
  .superRefine((body, ctx) => {
    const crossTenant = body.scopes.filter((scope) => (crossTenantScopes as readonly string[]).includes(scope));
    if (body.tenantId != null && crossTenant.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['tenantId'], message: `tenantId cannot bind a key with the scope ${crossTenant.join(', ')}, which sees every tenant` });
    }
    if (body.expiresAt != null && Date.parse(body.expiresAt) <= Date.now()) {
      ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'expiresAt must be in the future' });
    }
  })
  .meta({ id: 'CreateApiKeyRequest' });

export type CreateKeyBody = z.infer<typeof createKeyBodySchema>;

export const apiKeySchema = z
  .object({
    keyId: z.string(),
    name: z.string(),
    scopes: z.array(scopeSchema),
    tenantId: z.string().nullable(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().meta({ description: 'Recorded at most once a minute' }),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

export const createdKeySchema = z
  .object({
    key: apiKeySchema,
    secret: z.string().meta({ description: 'The bearer token. Shown once: only its hash is stored' }),
  })
  .meta({ id: 'CreatedApiKey' });

export const keyListSchema = z.object({ keys: z.array(apiKeySchema) }).meta({ id: 'ApiKeyList' });

export const meSchema = z
  .object({
    keyId: z.string().meta({ description: '`bootstrap` for API_TOKEN' }),
    name: z.string(),
    scopes: z.array(scopeSchema),
    tenantId: z.string().nullable(),
  })
  .meta({ id: 'Me' });

const AUDIT_PAGE_SIZE_MAX = 500;
export const AUDIT_PAGE_SIZE_DEFAULT = 100;

export const auditQuerySchema = z.strictObject(
  {
    tenant: tenantIdSchema.optional().meta({ description: 'Only this tenant\'s rows' }),
    cursor: z
      .string({ error: 'cursor must be a string' })
      .regex(/^[1-9][0-9]{0,15}$/, 'cursor must be the nextCursor of a previous page')
      .transform(Number)
      .optional()
      .meta({ description: 'nextCursor of the previous page' }),
    limit: z.coerce
      .number({ error: 'limit must be a number' })
      .int('limit must be a whole number')
      .min(1, `limit must be from 1 to ${AUDIT_PAGE_SIZE_MAX}`)
      .max(AUDIT_PAGE_SIZE_MAX, `limit must be from 1 to ${AUDIT_PAGE_SIZE_MAX}`)
      .optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? 'only tenant, cursor and limit are accepted' : undefined) },
);

export const auditPageSchema = z
  .object({
    entries: z.array(
      z.object({
        id: z.number(),
        at: z.string(),
        keyId: z.string(),
        keyName: z.string(),
        tenantId: z.string().nullable(),
        action: z.string(),
        statusCode: z.number().meta({ description: 'The answer\'s HTTP status: the outcome' }),
        requestId: z.string(),
        note: z.string().nullable().meta({ description: 'Free text the caller sent (pause/resume `by` and `reason`)' }),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'AuditPage' });
