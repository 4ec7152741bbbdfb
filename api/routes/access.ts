import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { createApiKey, getApiKey, listApiKeys, revokeApiKey } from '../../db/api-keys.js';
import { listAudit } from '../../db/audit-log.js';
import type { Database } from '../../db/client.js';
import { HttpRefusal } from '../http-errors.js';
import {
  AUDIT_PAGE_SIZE_DEFAULT,
  auditPageSchema,
  auditQuerySchema,
  createdKeySchema,
  createKeyBodySchema,
  keyListSchema,
  keyParamsSchema,
  apiKeySchema,
  meSchema,
} from '../schemas/access.js';
import { errorReply } from './error-replies.js';

export interface AccessRoutesOptions {
  deps: { db: Database };
}

const json = (description: string, schema: unknown) => ({ description, content: { 'application/json': { schema } } });

const errors = {
  401: errorReply('Missing, wrong, expired or revoked API key (unauthorized)'),
  403: errorReply('The key lacks the admin scope (forbidden)'),
  429: errorReply('Too many requests for this key (rate_limited, with Retry-After)'),
  500: errorReply('Internal error (internal_error); details.requestId identifies the logged cause'),
};

/** Who am I, API keys (admin) and the audit trail (admin). Handlers parse, call one query and shape. */
export const accessRoutes: FastifyPluginAsyncZod<AccessRoutesOptions> = async (app, { deps }) => {
  app.get(
    '/v1/me',
    {
      config: { scope: 'authenticated' },
      schema: {
        summary: 'The key this request was sent with: id, name, scopes and tenant binding',
        tags: ['access'],
        response: { 200: json('The calling key', meSchema), 401: errors[401], 500: errors[500] },
      },
    },
    async (request) => {
      const principal = request.principal;
      if (!principal) throw new Error('authorized request without a principal');
      return { keyId: principal.keyId, name: principal.name, scopes: principal.scopes, tenantId: principal.tenantId };
    },
  );

  app.post(
    '/v1/keys',
    {
      config: { scope: 'admin', audit: 'api_key.create' },
      schema: {
        summary: 'Create an API key; the secret is in this answer only',
        description:
          'Only the secret\'s SHA-256 is stored: it can never be shown again. A key with `tenantId` sees only that tenant; ' +
          '`admin` and `metrics:read` see every tenant and cannot be bound.',
        tags: ['access'],
        body: createKeyBodySchema,
        response: { 201: json('Created', createdKeySchema), 400: errorReply('Invalid body (validation_failed)'), ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      request.audit = { tenantId: body.tenantId ?? null, note: body.name };
      const created = await createApiKey(deps.db, {
        name: body.name,
        scopes: body.scopes,
        tenantId: body.tenantId ?? null,
        expiresAt: body.expiresAt == null ? null : new Date(body.expiresAt),
      });
      // The secret must not be cached anywhere on the way.
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.get(
    '/v1/keys',
    {
      config: { scope: 'admin' },
      schema: { summary: 'Every API key (revoked and expired ones included), without secrets', tags: ['access'], response: { 200: json('The keys', keyListSchema), ...errors } },
    },
    async () => ({ keys: await listApiKeys(deps.db) }),
  );

  app.delete(
    '/v1/keys/:keyId',
    {
      config: { scope: 'admin', audit: 'api_key.revoke' },
      schema: {
        summary: 'Revoke an API key (idempotent); it answers 401 from now on',
        tags: ['access'],
        params: keyParamsSchema,
        response: { 200: json('The revoked key', apiKeySchema), 400: errorReply('Invalid key id (validation_failed)'), 404: errorReply('No such key (not_found)'), ...errors },
      },
    },
    async (request) => {
      const { keyId } = request.params;
      const existing = await getApiKey(deps.db, keyId);
      if (!existing) throw new HttpRefusal(404, 'NOT_FOUND', 'No API key with this id', { keyId });
      request.audit = { tenantId: existing.tenantId, note: existing.name };
      const revoked = await revokeApiKey(deps.db, keyId);
      if (!revoked) throw new HttpRefusal(404, 'NOT_FOUND', 'No API key with this id', { keyId });
      return revoked;
    },
  );

  app.get(
    '/v1/audit',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'The audit trail, newest first, in keyset pages',
        description: 'One entry per state-changing request that passed authentication, with its outcome (HTTP status).',
        tags: ['access'],
        querystring: auditQuerySchema,
        response: { 200: json('A page of entries', auditPageSchema), 400: errorReply('Invalid parameter (validation_failed)'), ...errors },
      },
    },
    async (request) => {
      const { tenant, cursor, limit } = request.query;
      const page = await listAudit(deps.db, { tenantId: tenant, before: cursor, limit: limit ?? AUDIT_PAGE_SIZE_DEFAULT });
      return { entries: page.entries, nextCursor: page.next === undefined ? null : String(page.next) };
    },
  );
};
